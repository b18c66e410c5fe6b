"""Attacks on the zero-trust mesh as it runs (issue 12's proof): each is counted and must be
refused, and each refusal is what the attack meets first.

- the control plane: no certificate (or a foreign CA's) gets no TLS session with the registry's
  REST or xDS port; a service's certificate registers nothing but its own instance, at a host
  it names; an Envoy asking xDS as another node is PERMISSION_DENIED;
- a process at a `user` endpoint without user's identity (plaintext, a foreign CA, another
  service's certificate) gets no request from any Envoy, while tokens keep being checked
  against the real JWKS;
- every sidecar inbound refuses plaintext and foreign-CA connections;
- every `/internal/…` operation, and gRPC market data ingest, are refused by the owning
  sidecar's RBAC (not only by the app behind it) to every workload the contract does not name;
- a local process of another user cannot open an instance's private sockets;
- gRPC market data: anonymous through trading's egress (the marketplace's own feed), a
  Developer's token at the edge; a 1 MB hostile symbol is answered at once while another call
  keeps streaming.
The original findings: rogue `user` instances serving an extra JWKS key made the edge accept a
self-signed Admin token; a rogue `nft` received the callers' tokens; any local process moved a
listed NFT through nft's sidecar."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx
import pytest
from envoy_data_plane.envoy.config.core.v3 import Node
from envoy_data_plane.envoy.service.discovery.v3 import DiscoveryRequest, DiscoveryResponse
from grpclib.client import Channel
from grpclib.const import Cardinality, Status
from grpclib.exceptions import GRPCError

from mesh.envoy.rbac import DENIED_DETAIL
from mesh.identity.agent import Workload
from mesh.runner import Mesh
from mesh.topology import HOST
from services.common.market_data import MAX_TICK_MESSAGE_BYTES
from services.common.workload_identity import EDGE, OPERATOR_ID, REGISTRY, spiffe_id
from services.registry.adapters.xds import ADS_METHOD, EDS_TYPE_URL
from tests.support.attack_tally import REFUSED_AT_HANDSHAKE, Tally, problem_outcome
from tests.support.forgeries import forged_tokens
from tests.support.impostor import Impostor, impostor, server_context
from tests.support.mesh import hosts, poll, registry_get, running_mesh, stat
from tests.support.tokens import bearer, grpc_bearer
from tests.support.unix_sockets import CONNECTED, NOBODY, REFUSED_PERMISSION, connect_as
from tests.support.workload_tls import (
    client_context,
    foreign_certificate,
    handshake_refused,
    mesh_ca_file,
    plaintext_refused,
    workload_client,
    workload_context,
    workload_pems,
)

pytestmark = pytest.mark.e2e

SERVICES = ("nft", "user", "analytics", "trading", "notification")
REGISTRY_API = "/api/registry/services"
SEED = "market.MarketDataService"
V1 = "capsure.analytics.v1.MarketDataService"
# Envoy's RBAC filter's refusal of a gRPC call: PERMISSION_DENIED with its local reply's text
# (the mesh maps only REST refusals to problem+json). The app's own says "only … may call".
RBAC_GRPC_DETAILS = "RBAC: access denied"
# A refusal the sidecar's RBAC should have made, made by the app behind it: counted as a bypass
# of the sidecar (the app's check is the second line, not the first).
NOT_THE_SIDECARS = "refused by the app, not the sidecar"
# The hostile symbol's bound: refusing takes a length check, not the input's size.
ANSWERED_WITHIN_SECONDS = 0.1
WITHIN_SECONDS = 10.0


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    with running_mesh(
        tmp_path_factory.mktemp("trust-attacks"), instances=dict.fromkeys(SERVICES, 1)
    ) as running:
        yield running


def instance(mesh: Mesh, service: str) -> str:
    """The id of `service`'s (only) instance: its identity's name too."""
    return mesh.instances[service][0].id


def inbound_port(mesh: Mesh, service: str) -> int:
    return mesh.instances[service][0].instance.ports.inbound


def registrations(mesh: Mesh) -> set[tuple[str, str, str, int, str]]:
    """(service, id, host, port, status) of every registered instance, read as the operator."""
    answer = registry_get(mesh, REGISTRY_API)
    assert answer.status_code == 200, answer.text
    return {
        (s["name"], i["id"], i["host"], i["port"], i["status"])
        for s in answer.json()
        for i in s["instances"]
    }


def problem_status(answer: httpx.Response) -> int:
    """The status when the answer is a problem+json saying it; NOT_A_CLEAN_PROBLEM otherwise."""
    return problem_outcome(answer.status_code, answer.headers, answer.content)


def sidecar_refusal(answer: httpx.Response) -> int | str:
    """403 when the answer is a sidecar's RBAC refusal (a 403 problem with its detail);
    NOT_THE_SIDECARS for another 403 problem (the app's); problem_status otherwise."""
    status = problem_status(answer)
    if status == 403 and answer.json().get("detail") != DENIED_DETAIL:
        return NOT_THE_SIDECARS
    return status


# --- the control plane ---------------------------------------------------------------------


def test_without_a_mesh_certificate_nothing_reaches_the_control_plane(mesh: Mesh) -> None:
    tally, ca = Tally("trust"), mesh_ca_file(mesh)
    strangers = {
        "no certificate": client_context(ca),
        "a foreign CA's nft certificate": client_context(
            ca, foreign_certificate(spiffe_id("nft"), "nft-1")
        ),
        "a foreign CA's operator certificate": client_context(
            ca, foreign_certificate(OPERATOR_ID, "operator")
        ),
    }
    ports = {"REST": mesh.ports.registry_http, "xDS": mesh.ports.registry_xds}
    for api, port in ports.items():
        outcome = REFUSED_AT_HANDSHAKE if plaintext_refused(port) else 200
        tally.refused("registry", f"{api}: plaintext", outcome, {REFUSED_AT_HANDSHAKE})
        for who, context in strangers.items():
            outcome = REFUSED_AT_HANDSHAKE if handshake_refused(port, context) else 200
            tally.refused("registry", f"{api}: {who}", outcome, {REFUSED_AT_HANDSHAKE})
    # The same client with a mesh certificate does get a session on each port: the refusals
    # are the certificates', not a broken (or closed) port.
    for api, port in ports.items():
        assert not handshake_refused(port, workload_context(mesh, "nft-1")), api
    tally.assert_no_bypass("registry")


def test_a_services_certificate_registers_nothing_but_its_own_instance(mesh: Mesh) -> None:
    """nft-1's certificate (what a process that stole it holds), user-1's, the edge's and the
    operator's: no rogue `user` or `nft` instance, no hijacked or removed instance of another
    service, no sibling instance, no address its certificate does not name. The registry is
    unchanged."""
    tally = Tally("trust")
    before = registrations(mesh)
    user_1, nft_1 = instance(mesh, "user"), instance(mesh, "nft")
    rogue = {"host": HOST, "port": 9, "status": "SERVING"}
    attempts = {
        nft_1: [
            ("PUT", "user/instances/rogue", rogue),
            ("PUT", f"user/instances/{user_1}", rogue),
            ("DELETE", f"user/instances/{user_1}", None),
            ("PUT", "nft/instances/nft-9", rogue),
            ("DELETE", "nft/instances/nft-9", None),
            # Its own id at a loopback address its certificate does not name (127.0.0.1 only).
            ("PUT", f"nft/instances/{nft_1}", {**rogue, "host": "127.0.0.2"}),
        ],
        # The original finding's rogue nft instance, from another service's certificate.
        user_1: [
            ("PUT", "nft/instances/rogue", rogue),
            ("PUT", f"nft/instances/{nft_1}", rogue),
        ],
        EDGE: [
            ("PUT", "user/instances/rogue", rogue),
            ("PUT", "edge/instances/edge", rogue),
            ("DELETE", f"nft/instances/{nft_1}", None),
        ],
        "operator": [
            ("PUT", "user/instances/rogue", rogue),
            ("DELETE", f"user/instances/{user_1}", None),
        ],
    }
    for workload, calls in attempts.items():
        with workload_client(mesh, workload, base_url=mesh.registry_url) as client:
            for method, path, body in calls:
                answer = client.request(method, f"{REGISTRY_API}/{path}", json=body)
                case = f"{workload}: {method} {path} -> {answer.text[:120]}"
                tally.refused("registry write", case, problem_status(answer), {403})
    tally.assert_no_bypass("registry write")
    assert registrations(mesh) == before


def _eds_request(node: str, cluster: str, names: list[str]) -> DiscoveryRequest:
    return DiscoveryRequest(
        node=Node(id=node, cluster=cluster), type_url=EDS_TYPE_URL, resource_names=names
    )


async def _ask_xds(mesh: Mesh, workload: str, request: DiscoveryRequest) -> object:
    """The first answer of an ADS stream opened with `workload`'s certificate: a
    DiscoveryResponse, or the GRPCError's status."""
    context = workload_context(mesh, workload)
    context.set_alpn_protocols(["h2"])
    channel = Channel(HOST, mesh.ports.registry_xds, ssl=context)
    try:
        async with channel.request(
            ADS_METHOD, Cardinality.STREAM_STREAM, DiscoveryRequest, DiscoveryResponse, timeout=5
        ) as stream:
            await stream.send_message(request)
            try:
                answer = await stream.recv_message()
            except GRPCError as error:
                return error.status
            await stream.cancel()
            return answer
    except GRPCError as error:
        return error.status
    finally:
        channel.close()


async def test_an_envoy_asking_xds_as_another_node_is_permission_denied(mesh: Mesh) -> None:
    """With nft-1's certificate, asking as user-1 (to learn what user's Envoy is sent), as
    nft-1 of another service, or as another nft instance: refused. As itself: answered."""
    tally, nft_1 = Tally("trust"), instance(mesh, "nft")
    spoofs = {
        "as user-1 of user": _eds_request(instance(mesh, "user"), "user", ["user"]),
        "as nft-1 of user": _eds_request(nft_1, "user", ["user"]),
        "as nft-9 of nft": _eds_request("nft-9", "nft", ["notification"]),
        "as the edge": _eds_request(EDGE, EDGE, ["user"]),
    }
    for case, request in spoofs.items():
        answer = await _ask_xds(mesh, nft_1, request)
        outcome = answer.name if isinstance(answer, Status) else "answered"
        tally.refused("xDS node", case, outcome, {Status.PERMISSION_DENIED.name})
    itself = await _ask_xds(mesh, nft_1, _eds_request(nft_1, "nft", ["notification"]))
    assert isinstance(itself, DiscoveryResponse), itself
    assert [r.type_url for r in itself.resources] == [EDS_TYPE_URL]
    tally.assert_no_bypass("xDS node")


# --- a process where user's endpoints point ------------------------------------------------


@dataclass
class Heartbeat:
    """Keeps one registration alive (the registry drops it after 5 s without a heartbeat)."""

    client: httpx.Client
    path: str
    body: dict
    last: float = 0.0

    def beat(self) -> None:
        if time.monotonic() - self.last >= 1.0:
            answer = self.client.put(self.path, json=self.body)
            assert answer.status_code in (200, 201), answer.text
            self.last = time.monotonic()

    def leave(self) -> None:
        assert self.client.delete(self.path).status_code == 204


# Per service, an operation that needs a token (analytics has none over REST).
PROTECTED = {
    "nft": ("POST", "/api/nfts", {"name": "forged"}),
    "user": ("GET", "/api/users/me", None),
    "trading": ("GET", "/api/trading/wallet", None),
    "notification": ("GET", "/api/notifications", None),
}


def _tokens_still_checked(mesh: Mesh, forged: str) -> list[tuple[str, int]]:
    """(where, status) of a token signed by a key no JWKS of the mesh holds, at the edge and
    at every service's sidecar (as the edge would call it), then a real token at the edge."""
    seen = []
    with (
        httpx.Client(base_url=mesh.edge_url, trust_env=False, timeout=5) as edge,
        workload_client(mesh, EDGE) as as_edge,
    ):
        for service, (method, path, body) in PROTECTED.items():
            forgery = {"Authorization": f"Bearer {forged}"}
            answer = edge.request(method, path, json=body, headers=forgery)
            seen.append((f"edge, {service}: a token signed by another key", answer.status_code))
            url = f"https://{HOST}:{inbound_port(mesh, service)}{path}"
            answer = as_edge.request(method, url, json=body, headers=forgery)
            seen.append((f"{service} sidecar: a token signed by another key", answer.status_code))
        real = edge.get("/api/notifications", headers=bearer(uuid.uuid4()))
        seen.append(("edge: a real token", real.status_code))
    return seen


def test_a_process_at_a_user_endpoint_without_users_identity_gets_no_request(
    mesh: Mesh,
) -> None:
    """A user instance (user-9, its registration genuine) whose port another process holds:
    plaintext, a foreign CA's user certificate, or nft-1's real certificate. Every Envoy with a
    `user` cluster (the edge: JWKS and API; each sidecar: JWKS) tries it and refuses the
    handshake, so it never serves a JWKS nor sees a token; tokens keep being checked against
    the real JWKS meanwhile. A listener with user-9's own certificate (the control) is sent
    health checks at once: the refusals are the peer check's."""
    assert mesh.edge is not None and mesh.agent is not None
    tally, ca = Tally("trust"), mesh_ca_file(mesh)
    mesh.agent.provision(Workload("user-9", spiffe_id("user"), hosts=(HOST,)))
    forged = forged_tokens(uuid.uuid4())["signed with another key"]
    listeners = {
        "plaintext": None,
        "a foreign CA's user certificate": server_context(
            foreign_certificate(spiffe_id("user"), "user-9"), ca
        ),
        "nft-1's certificate": server_context(workload_pems(mesh, instance(mesh, "nft")), ca),
    }
    edge_ssl_failures = _ssl_failures(mesh)
    try:
        for case, context in listeners.items():
            with impostor(context) as listener:
                seconds, routed = _registered_at(mesh, listener, lambda: listener.seen()[1] >= 3)
                for where, status in _tokens_still_checked(mesh, forged):
                    allowed = {200} if "real token" in where else {401}
                    tally.refused("JWKS", f"{case}: {where}", status, allowed)
            connections, refused, requests = listener.seen()
            print(
                f"[trust] impostor with {case}: {connections} connections, {refused} refused"
                f" handshakes, {len(requests)} requests, {routed} routed by the edge; tried by"
                f" the mesh within {seconds:.2f} s"
            )
            tally.refused("impostor user", f"{case}: requests it saw", len(requests), {0})
            tally.refused("impostor user", f"{case}: requests the edge routed", routed, {0})
        control = server_context(workload_pems(mesh, "user-9"), ca)
        with impostor(control) as listener:
            _registered_at(mesh, listener, lambda: bool(listener.seen()[2]))
            print(f"[trust] control, user-9's own certificate: requests {listener.seen()[2][:2]}")
    finally:
        mesh.agent.forget("user-9")
    assert _ssl_failures(mesh) > edge_ssl_failures  # the edge's refusals are counted
    (user_1,) = (h for h in hosts(mesh.edge, "user").values() if h.routable)
    assert user_1.counters.get("rq_success", 0) > 0  # JWKS and API from the real instance
    assert stat(mesh.edge, "http.edge.jwt_authn.jwks_fetch_success") > 0
    tally.assert_no_bypass("JWKS", "impostor user")


def _ssl_failures(mesh: Mesh) -> int:
    assert mesh.edge is not None
    names = ("connection_error", "fail_verify_san", "fail_verify_error", "fail_verify_no_cert")
    return sum(stat(mesh.edge, f"cluster.user.ssl.{name}") for name in names)


def _registered_at(mesh: Mesh, listener: Impostor, enough: Callable[[], bool]) -> tuple[float, int]:
    """Register user-9 at `listener` and keep it registered until `enough()` holds and the
    edge has it; leave. (seconds that took, requests the edge routed to it)."""
    assert mesh.edge is not None
    address = f"{HOST}:{listener.port}"
    path = f"{REGISTRY_API}/user/instances/user-9"
    body = {"host": HOST, "port": listener.port, "status": "SERVING"}
    with workload_client(mesh, "user-9", base_url=mesh.registry_url) as client:
        heartbeat = Heartbeat(client, path, body)

        def tried() -> bool:
            heartbeat.beat()
            return enough() and address in hosts(mesh.edge, "user")

        try:
            seconds = poll(tried, "tried by the mesh's Envoys", WITHIN_SECONDS)
            routed = hosts(mesh.edge, "user")[address].rq_total
        finally:
            heartbeat.leave()
    return seconds, routed


# --- sidecar inbounds ------------------------------------------------------------------------


def test_every_sidecar_inbound_refuses_plaintext_and_foreign_certificates(mesh: Mesh) -> None:
    tally, ca = Tally("trust"), mesh_ca_file(mesh)
    foreign = {
        "no certificate": client_context(ca),
        "a foreign CA's edge certificate": client_context(
            ca, foreign_certificate(spiffe_id(EDGE), EDGE)
        ),
        "a foreign CA's trading certificate": client_context(
            ca, foreign_certificate(spiffe_id("trading"), "trading-1")
        ),
    }
    for service in SERVICES:
        port = inbound_port(mesh, service)
        outcome = REFUSED_AT_HANDSHAKE if plaintext_refused(port) else 200
        tally.refused("sidecar inbound", f"{service}: plaintext", outcome, {REFUSED_AT_HANDSHAKE})
        for who, context in foreign.items():
            outcome = REFUSED_AT_HANDSHAKE if handshake_refused(port, context) else 200
            tally.refused("sidecar inbound", f"{service}: {who}", outcome, {REFUSED_AT_HANDSHAKE})
        # The edge's real certificate does get a session (and its health check an answer).
        with workload_client(mesh, EDGE) as client:
            assert client.get(f"https://{HOST}:{port}/healthz").status_code == 200
    tally.assert_no_bypass("sidecar inbound")


# --- internal operations ---------------------------------------------------------------------


def _internal_operations() -> list[tuple[str, str, dict, set[str]]]:
    """(service, path, a valid body, the services its contract's x-callers names)."""
    some = str(uuid.uuid4())
    return [
        (
            "nft",
            "/internal/marketplace-transfers",
            {"listingId": some, "nftId": some, "sellerId": some, "buyerId": some},
            {"trading"},
        ),
        (
            "notification",
            "/internal/notification-events",
            {
                "eventId": some,
                "type": "nft.minted",
                "userId": some,
                "occurredAt": "2026-01-01T00:00:00Z",
                "data": {},
            },
            {"nft", "trading"},
        ),
        (
            "notification",
            "/internal/price-ticks",
            {"assetSymbol": "TRUST", "price": 1.5, "timestamp": 1_767_225_600_000},
            {"trading"},
        ),
    ]


def test_each_internal_operation_answers_only_the_callers_its_contract_names(mesh: Mesh) -> None:
    """Every workload's real certificate (each service's instance, the edge, the registry, the
    operator) on every `/internal/…` operation, straight to the owning sidecar: the sidecar's
    RBAC 403 unless the contract's x-callers names it (the app would refuse too: its 403 is
    not the one the attack may meet first); the named ones get past both checks."""
    tally = Tally("trust")
    workloads = {instance(mesh, s): s for s in SERVICES} | {
        EDGE: EDGE,
        REGISTRY: REGISTRY,
        "operator": "operator",
    }
    for service, path, body, callers in _internal_operations():
        url = f"https://{HOST}:{inbound_port(mesh, service)}{path}"
        for workload, caller in workloads.items():
            with workload_client(mesh, workload) as client:
                key = {"Idempotency-Key": f"trust-{uuid.uuid4().hex}"}
                answer = client.post(url, json=body, headers=key)
            case = f"{caller} -> {service} {path}: {answer.status_code} {answer.text[:100]}"
            if caller in callers:
                outcome = answer.status_code
                allowed = set(range(200, 500)) - {401, 403}
                tally.refused("internal, declared caller", case, outcome, allowed)
            else:
                tally.refused("internal, any other", case, sidecar_refusal(answer), {403})
    tally.assert_no_bypass("internal, any other", "internal, declared caller")


def test_market_data_ingest_over_grpc_admits_only_trading_and_the_edge(mesh, proto) -> None:
    """Analytics' sidecar, gRPC straight to it with each workload's certificate: trading (the
    marketplace's feed) and the edge are admitted; nft, user, notification and the operator
    get PERMISSION_DENIED from the sidecar's RBAC (Envoy's words, not the app's)."""
    tally = Tally("trust")
    ca = mesh_ca_file(mesh).read_bytes()
    tick = proto["market.MarketDataRequest"](assetSymbol="TRUST-GRPC", price=1.0, timestamp=1)
    names = {instance(mesh, s): s for s in SERVICES if s != "analytics"} | {
        EDGE: EDGE,
        "operator": "operator",
    }
    for workload, caller in names.items():
        chain, key = workload_pems(mesh, workload)
        credentials = grpc.ssl_channel_credentials(ca, key, chain)
        target = f"{HOST}:{inbound_port(mesh, 'analytics')}"
        with grpc.secure_channel(target, credentials) as channel:
            try:
                reply = _seed_send(channel, proto)(tick, timeout=5)
                code = "OK" if reply.success else "not a success"
            except grpc.RpcError as error:
                code = error.code().name
                if code == "PERMISSION_DENIED" and error.details() != RBAC_GRPC_DETAILS:
                    code = f"{NOT_THE_SIDECARS}: {error.details()!r}"
        if caller in ("trading", EDGE):
            tally.refused("gRPC ingest, declared caller", caller, code, {"OK"})
        else:
            tally.refused("gRPC ingest, any other", caller, code, {"PERMISSION_DENIED"})
    tally.assert_no_bypass("gRPC ingest, any other", "gRPC ingest, declared caller")


# --- local processes -------------------------------------------------------------------------


@pytest.mark.skipif(os.geteuid() != 0, reason="switching to another user needs root (CI is)")
def test_a_local_process_of_another_user_cannot_borrow_an_instances_sockets(mesh: Mesh) -> None:
    """Trading's egress to nft is trading's identity (its sidecar presents trading's
    certificate): a process of another user cannot open it, nor an app's own socket (where the
    caller header is believed), nor the registry app's. The mesh's own user can (the control)."""
    tally = Tally("trust")
    trading = mesh.find(instance(mesh, "trading")).instance.ports
    nft = mesh.find(instance(mesh, "nft")).instance.ports
    sockets = {
        "trading-1's egress to nft": Path(trading.egress["nft"]),
        "trading-1's egress to notification": Path(trading.egress["notification"]),
        "nft-1's app socket": Path(nft.app_http),
        "nft-1's egress to the registry": Path(nft.control),
    }
    outcomes = {CONNECTED: "connected", REFUSED_PERMISSION: "PermissionError"}
    for case, path in sockets.items():
        assert connect_as(os.getuid(), os.getgid(), path) == CONNECTED, case
        outcome = outcomes.get(connect_as(NOBODY, NOBODY, path), "another error")
        print(f"[trust] uid {NOBODY} connecting to {case} ({path}): {outcome}")
        tally.refused("local socket", case, outcome, {"PermissionError"})
    tally.assert_no_bypass("local socket")


# --- gRPC market data --------------------------------------------------------------------------


def _seed_send(channel: grpc.Channel, proto: dict[str, type]):
    return channel.unary_unary(
        f"/{SEED}/SendMarketData",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=proto["market.MarketDataResponse"].FromString,
    )


def test_the_seed_client_through_tradings_egress_and_at_the_edge_with_a_developer_token(
    mesh: Mesh, proto: dict[str, type]
) -> None:
    """The seed's stock grpcio client, unchanged but for its target: through trading-1's
    sidecar egress (a Unix socket; the marketplace's own feed) anonymous works; at the edge
    anonymous is UNAUTHENTICATED, a plain user's token PERMISSION_DENIED, a Developer's OK."""
    tick = proto["market.MarketDataRequest"]
    egress = mesh.find(instance(mesh, "trading")).instance.ports.egress["analytics"]
    with grpc.insecure_channel(f"unix:{egress}") as channel:
        reply = _seed_send(channel, proto)(tick(assetSymbol="SEED", price=2.0, timestamp=1))
    assert reply.success is True
    outcomes = {}
    callers = {
        "anonymous": (),
        "a user's token": grpc_bearer(uuid.uuid4()),
        "a Developer's token": grpc_bearer(uuid.uuid4(), roles=["Developer"]),
        "an Admin's token": grpc_bearer(uuid.uuid4(), roles=["Admin"]),
    }
    with grpc.insecure_channel(mesh.edge_url.removeprefix("http://")) as channel:
        send = _seed_send(channel, proto)
        for case, metadata in callers.items():
            try:
                send(tick(assetSymbol="SEED", price=3.0, timestamp=2), metadata=metadata, timeout=5)
                outcomes[case] = "OK"
            except grpc.RpcError as error:
                outcomes[case] = error.code().name
    print(f"[trust] the seed's client at the edge: {outcomes}")
    assert outcomes == {
        "anonymous": "UNAUTHENTICATED",
        "a user's token": "PERMISSION_DENIED",
        "a Developer's token": "OK",
        "an Admin's token": "OK",
    }


def test_a_1_mb_symbol_at_the_edge_is_answered_at_once_while_another_call_streams(
    mesh: Mesh, proto: dict[str, type]
) -> None:
    """A Developer's 1 MB asset_symbol through the edge: RESOURCE_EXHAUSTED within 100 ms,
    saying the length limit (analytics refuses it from the length prefix), while another
    client's stream, open before and after it, is stored whole."""
    developer = grpc_bearer(uuid.uuid4(), roles=["Developer"])
    request = proto["capsure.analytics.v1.SendMarketDataRequest"]
    streamed = proto["capsure.analytics.v1.StreamMarketDataRequest"]
    hostile_done = threading.Event()

    def ticks() -> Iterator[object]:
        for number in range(1, 101):
            if number == 51:  # half sent: the stream stays open across the attack
                hostile_done.wait(WITHIN_SECONDS)
            yield streamed(asset_symbol="TRUST-STREAM", price=1.0, timestamp=number)

    edge = mesh.edge_url.removeprefix("http://")
    with grpc.insecure_channel(edge) as attacker, grpc.insecure_channel(edge) as other:
        send = attacker.unary_unary(
            f"/{V1}/SendMarketData", request_serializer=bytes, response_deserializer=bytes
        )
        # Connected and warm: the timing measures the answer only.
        warm = request(asset_symbol="TRUST-WARM", price=1.0, timestamp=1).SerializeToString()
        assert send(warm, metadata=developer, timeout=5) == b"\x08\x01"
        stream = other.stream_unary(
            f"/{V1}/StreamMarketData",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=proto["capsure.analytics.v1.StreamMarketDataResponse"].FromString,
        )
        future = stream.future(ticks(), metadata=developer, timeout=WITHIN_SECONDS * 2)
        huge = request(asset_symbol="x" * 1_000_000, price=1.0, timestamp=1).SerializeToString()
        started = time.perf_counter()
        try:
            send(huge, metadata=developer, timeout=5)
            code, details = "OK", ""
        except grpc.RpcError as error:
            code, details = error.code().name, error.details() or ""
        elapsed = time.perf_counter() - started
        hostile_done.set()
        reply = future.result(timeout=WITHIN_SECONDS * 2)
        after = request(asset_symbol="TRUST-AFTER", price=1.0, timestamp=1).SerializeToString()
        assert send(after, metadata=developer, timeout=5) == b"\x08\x01"
    print(
        f"[trust] 1 MB symbol at the edge: {code} ({details!r}) in {elapsed * 1000:.1f} ms;"
        f" the stream open across it: accepted {reply.accepted}, rejected {reply.rejected}"
    )
    assert code == "RESOURCE_EXHAUSTED"
    assert f"over the limit of {MAX_TICK_MESSAGE_BYTES} bytes" in details, details
    assert elapsed < ANSWERED_WITHIN_SECONDS
    assert (reply.accepted, reply.rejected, reply.success) == (100, 0, True)
