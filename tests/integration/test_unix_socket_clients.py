"""Every client a service has reaches a Unix socket as well as host:port, against real servers
listening on sockets (the project's own apps where they fit): the registrar registering with
the registry, the JWKS fetch over http+unix, nft's user directory, user's nft catalog,
trading's nft marketplace and notification delivery, and trading's ticks to analytics' gRPC
server. And what keeps other local users out: the socket's mode and its directory's."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from uuid import UUID, uuid4

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mesh.direct import NO_SIDECARS
from mesh.ports import free_port
from mesh.processes import http_status, spawn, unix_http_status
from services.common.addresses import http_unix_url, parse_address
from services.common.auth import TokenVerifier
from services.common.jwks import RemoteJwks
from services.common.outbox import OutboxMessage
from services.common.registrar import InstanceIdentity, Registrar
from services.common.unix_sockets import bind_private_socket
from services.nft.adapters.user_directory import RestUserDirectory
from services.registry.bootstrap import bootstrap as registry_app
from services.registry.config import RegistrySettings
from services.trading.adapters.analytics_client import AnalyticsDelivery, channel_to
from services.trading.adapters.nft_marketplace import RestNftMarketplace
from services.trading.adapters.notification_client import NotificationDelivery
from services.trading.domain.errors import NftServiceUnavailable
from services.trading.domain.ticks import MarketDataTick
from services.trading.mappers import tick_to_message
from services.user.adapters.nft_catalog import RestNftCatalog
from services.user.bootstrap import bootstrap as user_app
from services.user.config import UserSettings
from services.user.domain.errors import NftServiceUnavailable as CatalogUnavailable
from tests.support.clock import FakeClock
from tests.support.scripted_peer import http_answer, parse_head, unix_server
from tests.support.tokens import ISSUER, signing_keys_dir, token_for, trusting_env
from tests.support.unix_sockets import (
    CONNECTED,
    NOBODY,
    REFUSED_PERMISSION,
    STOP_TIMEOUT_SECONDS,
    connect_as,
    serving_on_socket,
    socket_dir,
)

pytestmark = pytest.mark.integration

JWKS_PATH = "/api/users/.well-known/jwks.json"
PROBLEM = "application/problem+json"


@pytest.fixture
def sockets() -> Iterator[Path]:
    with socket_dir() as directory:
        yield directory


def over(path: Path) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.AsyncHTTPTransport(uds=str(path)), base_url="http://localhost"
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- the listening socket -------------------------------------------------------------------


def test_a_private_socket_is_0600_in_a_new_0700_directory(sockets):
    path = sockets / "new" / "app.sock"
    with bind_private_socket(path):
        assert stat.S_ISSOCK(path.stat().st_mode)
        assert mode(path) == 0o600
        assert mode(path.parent) == 0o700


def test_an_existing_directory_is_made_0700(sockets):
    # mkdir(mode=0o700, exist_ok=True) leaves an existing directory's mode as it was.
    path = sockets / "open" / "app.sock"
    path.parent.mkdir(mode=0o755)
    path.parent.chmod(0o755)  # whatever the umask
    with bind_private_socket(path):
        assert mode(path.parent) == 0o700


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a directory to another user needs root")
def test_a_directory_another_user_owns_is_refused(sockets):
    path = sockets / "theirs" / "app.sock"
    path.parent.mkdir(mode=0o755)
    os.chown(path.parent, NOBODY, NOBODY)
    with pytest.raises(PermissionError, match=f"belongs to uid {NOBODY}"):
        bind_private_socket(path)
    assert not path.exists()
    assert mode(path.parent) == 0o755  # left as its owner made it


def test_a_stale_socket_is_replaced(sockets):
    path = sockets / "app.sock"
    bind_private_socket(path).close()  # a crashed server leaves its socket file behind
    assert path.exists()
    with bind_private_socket(path) as server, socket.socket(socket.AF_UNIX) as client:
        client.connect(str(path))
        accepted, _ = server.accept()
        accepted.close()


def test_any_other_file_at_the_path_is_left_alone_and_refused(sockets):
    path = sockets / "app.sock"
    path.write_text("not a socket")
    with pytest.raises(FileExistsError, match="not a socket"):
        bind_private_socket(path)
    assert path.read_text() == "not a socket"


@pytest.mark.skipif(os.geteuid() != 0, reason="switching to another user needs root")
def test_another_local_user_cannot_connect(sockets):
    path = sockets / "app" / "app.sock"
    with bind_private_socket(path):
        # The directory (0700) keeps every other user out...
        assert connect_as(NOBODY, NOBODY, path) == REFUSED_PERMISSION
        # ...and so does the socket's own mode (0600) where the directory lets them through.
        path.parent.chmod(0o755)
        sockets.chmod(0o755)
        assert connect_as(NOBODY, NOBODY, path) == REFUSED_PERMISSION
        # The control: with a mode that lets them in, the same child connects.
        path.chmod(0o666)
        assert connect_as(NOBODY, NOBODY, path) == CONNECTED


def test_a_service_started_with_its_uds_setting_serves_only_there(sockets, tmp_path):
    path = sockets / "user" / "app.sock"
    port = free_port()
    env = {
        **trusting_env(),
        "USER_UDS": str(path),
        "USER_PORT": str(port),
        "USER_DATA_DIR": str(tmp_path / "data"),
    }
    process = spawn("user", [sys.executable, "-m", "services.user"], env, tmp_path / "log")
    try:
        process.wait_until(lambda: unix_http_status(path, "/healthz") == 200, "healthy")
        assert mode(path) == 0o600
        assert http_status(f"http://127.0.0.1:{port}/healthz") is None  # no TCP listener
    finally:
        assert process.stop() == 0, process.log_tail()


async def test_an_app_whose_start_up_never_ends_is_a_timeout_not_a_hang(sockets):
    """serving_on_socket gives up on a lifespan that never yields, and stops it: uvicorn does
    not look at should_exit before it has started."""

    @asynccontextmanager
    async def never_ready(app: Starlette) -> AsyncIterator[None]:
        await asyncio.Event().wait()  # waiting for a database that never answers
        yield

    stuck = Starlette(lifespan=never_ready)
    with pytest.raises(TimeoutError, match="not started in"):
        async with asyncio.timeout(STOP_TIMEOUT_SECONDS + 5):  # the test's own bound
            async with serving_on_socket(stuck, sockets / "stuck.sock", start_timeout=0.2):
                pytest.fail("served without having started")


# --- the registry ---------------------------------------------------------------------------


async def healthy(request: Request) -> Response:
    return Response("ok")


async def test_the_registrar_registers_and_leaves_through_the_registrys_socket(sockets):
    settings = RegistrySettings(
        uds=sockets / "registry.sock",
        xds_uds=sockets / "xds.sock",
        authenticate_callers=False,
        instance_ttl_seconds=60,
    )
    instance = Starlette(routes=[Route("/healthz", healthy)])
    identity = InstanceIdentity(
        service="nft",
        instance_id="nft-uds-1",
        advertise_addr="127.0.0.1:15000",
        health_url="http://localhost/healthz",
        health_socket=sockets / "nft.sock",
    )
    registrar = Registrar(f"unix:{settings.uds}", identity, interval=30)
    async with (
        serving_on_socket(registry_app(settings), sockets / "registry.sock"),
        serving_on_socket(instance, sockets / "nft.sock", lifespan="off"),
        over(sockets / "registry.sock") as registry,
    ):
        async with registrar.running():
            await registrar.beat()  # the first beat may have run before the instance was up
            listed = (await registry.get("/api/registry/services/nft")).json()
            [registered] = listed["instances"]
            assert registered["id"] == "nft-uds-1"
            assert (registered["host"], registered["port"]) == ("127.0.0.1", 15000)
            assert registered["status"] == "SERVING"
        assert (await registry.get("/api/registry/services/nft")).status_code == 404


# --- the user service: its JWKS, and nft's user directory --------------------------------------


@pytest.fixture
async def user_service(sockets, tmp_path) -> AsyncIterator[Path]:
    """The user app (signing with the test key) on a socket, as its sidecar would reach it."""
    settings = UserSettings(data_dir=tmp_path, signing_keys_dir=signing_keys_dir())
    async with serving_on_socket(user_app(settings), sockets / "user.sock") as path:
        yield path


async def test_tokens_verify_against_a_jwks_fetched_over_http_unix(user_service):
    keys = RemoteJwks(http_unix_url(user_service, JWKS_PATH))
    verifier = TokenVerifier(keys=keys, issuer=ISSUER)
    subject = uuid4()
    claims = await verifier.verify(token_for(subject))
    assert claims["sub"] == str(subject)


async def test_nfts_user_directory_asks_the_user_service_over_its_socket(user_service):
    async with over(user_service) as client:
        body = {
            "username": f"uds-{uuid4().hex[:8]}",
            "email": "u@example.com",
            "password": "p" * 12,
        }
        created = await client.post("/api/users", json=body)
        assert created.status_code == 201, created.text
    directory = RestUserDirectory(f"unix:{user_service}", 5.0)
    token = token_for(uuid4())
    try:
        assert await directory.exists(UUID(created.json()["id"]), bearer_token=token) is True
        assert await directory.exists(uuid4(), bearer_token=token) is False
    finally:
        await directory.aclose()


# --- peers that answer 503 on a socket: each client's calls arrive there ----------------------


PROBLEM_503 = b'{"title": "Service Unavailable", "status": 503}'


@pytest.fixture
async def peer(sockets) -> AsyncIterator[tuple[list[bytes], str]]:
    """A peer stand-in on a socket answering 503 problem+json: the request heads it got and its
    address."""
    heads: list[bytes] = []
    answer = http_answer("503 Service Unavailable", PROBLEM_503, heads, PROBLEM)
    async with unix_server(answer, sockets / "peer.sock") as address:
        yield heads, address


def calls(heads: list[bytes]) -> list[tuple[str, str, str | None]]:
    """(method, path, Authorization) of each request."""
    requests = [parse_head(head) for head in heads]
    return [(r.method, r.path, r.headers.get("authorization")) for r in requests]


async def test_users_nft_catalog_calls_through_the_socket(peer):
    heads, address = peer
    catalog, owner = RestNftCatalog(address, 5.0), uuid4()
    try:
        with pytest.raises(CatalogUnavailable):
            await catalog.list_owned(owner, limit=5, offset=0, bearer_token="a.b.c")
    finally:
        await catalog.aclose()
    assert calls(heads) == [("GET", f"/api/nfts/user/{owner}", "Bearer a.b.c")]


async def test_tradings_nft_marketplace_calls_through_the_socket(peer):
    heads, address = peer
    nft, nft_id = RestNftMarketplace(address, 5.0), uuid4()
    try:
        with pytest.raises(NftServiceUnavailable, match="503"):
            await nft.approve_sale(nft_id, uuid4(), bearer="a.b.c")
    finally:
        await nft.aclose()
    assert calls(heads) == [("PUT", f"/api/nfts/{nft_id}/sale-approval", "Bearer a.b.c")]


async def test_notification_delivery_calls_through_the_socket(peer):
    heads, address = peer
    deliver = NotificationDelivery(address, 5.0)
    try:
        with pytest.raises(Exception, match="answered 503"):
            await deliver([tick_message(1)])
    finally:
        await deliver.aclose()
    assert [(m, p) for m, p, _ in calls(heads)] == [("POST", "/internal/price-ticks/batches")]


# --- analytics' gRPC server on a socket, and trading's ticks to it ---------------------------


def tick_message(number: int) -> OutboxMessage:
    clock = FakeClock()
    tick = MarketDataTick(uuid4(), "ETH-USD", 3120.5, 1_764_000_000_000 + number, clock.now, 2.0)
    return OutboxMessage(number, "analytics.ticks", tick_to_message(tick), clock.now, 0, clock.now)


async def test_trading_streams_ticks_to_analytics_grpc_server_on_a_socket(sockets, tmp_path):
    """A real analytics process (its gRPC health service cannot share a process with the
    grpcio health client other test files load), on sockets only, no sidecar in front."""
    grpc_socket, rest_socket = (
        sockets / "analytics" / "grpc.sock",
        sockets / "analytics" / "app.sock",
    )
    env = {
        **trusting_env(),
        **NO_SIDECARS,
        "ANALYTICS_UDS": str(rest_socket),
        "ANALYTICS_GRPC_UDS": str(grpc_socket),
        "ANALYTICS_DATA_DIR": str(tmp_path / "data"),
    }
    command = [sys.executable, "-m", "services.analytics"]
    process = spawn("analytics", command, env, tmp_path / "log")
    try:
        process.wait_until(lambda: unix_http_status(rest_socket, "/healthz") == 200, "healthy")
        assert mode(grpc_socket) == 0o600
        delivery = AnalyticsDelivery(channel_to(parse_address(f"unix:{grpc_socket}")), timeout=5)
        async with delivery.connected():
            assert await delivery([tick_message(1), tick_message(2)]) == {}
        async with over(rest_socket) as client:
            stats = await client.get("/api/analytics/assets/ETH-USD/stats")
        assert stats.status_code == 200, stats.text
        assert stats.json()["count"] == 2
    finally:
        assert process.stop() == 0, process.log_tail()
