"""Connexion's fixed work per request: Connexion as it ships ("stock": its `AsyncApp`, which
builds decorators, URI parsers and validators on every request) vs the services' hot path
(services/common/connexion_hot_path.py: all of that built once per operation, answers by
orjson), in the same run, interleaved. Both run the services' own fixes (rest_fixes,
request_validators): the bearer verifier's signature is read once in both.

- **In process**: the nft contract's app as `build_rest_app` builds it, on stub handlers (a
  constant page of NFTS NFTs; a constant minted NFT), called straight through ASGI: no
  socket, no database, so what is left is Connexion (routing from the contract, parameter,
  body and JWT checks, the handler's decoration, serialisation) and the services' own
  middleware. Beside it, the same answer from a bare Starlette route (the floor). CPU per
  request from `time.process_time`.
- **Processes under wrk**: nft's `GET /api/nfts/user/{id}` (10 NFTs, public), its keyed mint
  `POST /api/nfts` (JWT verified, a new Idempotency-Key per request, one row written) and
  user's `GET /api/users/me` (JWT verified, one row read), each served by a stock app and a
  hot-path app on one SQLite file; bench/bare_starlette.py serves the read as the floor. The
  app's CPU per request from /proc/<pid>/stat. What the database and the ORM cost is in both
  variants alike: the difference is Connexion's share.

`python -m bench.connexion_overhead`; `python -m bench.connexion_overhead serve-stock <service>`
is the stock variant's app process (the service's own `main()` with Connexion's `AsyncApp`).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import orjson
from connexion import AsyncApp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.bare_starlette import running_bare_starlette
from bench.common import bearer, compare, cpu_seconds, table, trusting_env, wrk
from mesh.ports import free_port
from mesh.processes import ManagedProcess, http_status, spawn

TITLE = "Connexion's fixed work: stock vs hot path"
COMMAND = "python -m bench.connexion_overhead"
NFTS = 10
STOCK, HOT, BARE = "Connexion stock", "hot path", "bare Starlette"
IN_PROCESS_REQUESTS = 1500  # per round and variant
IN_PROCESS_ROUNDS = 6
CONNECTIONS = 4
ROUNDS = 6  # per operation and variant, alternating
ROUND_SECONDS = 2
LIMIT_SECONDS = 300  # 4 app starts, ~90 s of wrk rounds, the in-process rounds


def stock_connexion(import_name: str, **options: Any) -> AsyncApp:
    """Connexion's own AsyncApp with the options build_rest_app passes: the "before"."""
    return AsyncApp(import_name, **options)


@contextmanager
def stock_rest_apps() -> Iterator[None]:
    """build_rest_app builds Connexion's own AsyncApp inside this block."""
    from services.common import rest_app

    hot = rest_app.connexion_app
    rest_app.connexion_app = stock_connexion
    try:
        yield
    finally:
        rest_app.connexion_app = hot


MINT = {  # as bench.common.seed_nfts mints
    "name": "Bench mint",
    "metadata": {
        "image": "https://img.example/bench/mint.png",
        "attributes": [{"traitType": "rank", "value": "1"}],
    },
}

# --- in process ----------------------------------------------------------------------------


def _nft(owner: UUID, n: int) -> dict[str, Any]:
    return {
        "id": str(UUID(int=n + 1)),
        "tokenId": n + 1,
        "name": f"Bench #{n}",
        "description": "",
        "ownerId": str(owner),
        "creatorId": str(owner),
        "metadata": {
            "image": f"https://img.example/bench/{n}.png",
            "attributes": [{"traitType": "rank", "value": str(n)}],
        },
        "createdAt": "2026-01-02T03:04:05.678901Z",
        "updatedAt": "2026-01-02T03:04:05.678901Z",
    }


class StubHandlers:
    """nft's handlers answering constants, with NftHandlers' signatures (Connexion passes a
    handler what it names): what is measured is around the handler."""

    def __init__(self, owner: UUID) -> None:
        self.page = [_nft(owner, n) for n in range(NFTS)]

    async def list_user_nfts(self, userId: str, limit: int, offset: int) -> list[dict[str, Any]]:
        return self.page

    async def mint_nft(self, body: dict[str, Any], user: str) -> tuple[dict[str, Any], int, dict]:
        return self.page[0], 201, {"Location": f"/api/nfts/{self.page[0]['id']}"}

    def __getattr__(self, operation_id: str) -> Callable[..., Any]:
        async def not_measured(**kwargs: Any) -> Any:
            raise NotImplementedError(operation_id)

        return not_measured


def _in_process_app(owner: UUID) -> Any:
    from services.common.auth import TokenVerifier, bearer_info
    from services.common.rest_app import RestAppSpec, build_rest_app
    from services.nft.config import NftSettings
    from services.user.adapters.signing_keys import FileKeyring

    keys = FileKeyring(
        Path(trusting_env()["USER_SIGNING_KEYS_DIR"]),
        activation_seconds=0,
        retire_after_seconds=3600,
    )
    settings = NftSettings(validate_responses=False, authenticate_callers=False)
    return build_rest_app(
        RestAppSpec(
            service="nft",
            api_prefix="/api/nfts",
            handlers=StubHandlers(owner),
            database=None,
            settings=settings,
            verify_token=bearer_info(TokenVerifier(keys=keys, issuer=settings.jwt_issuer)),
        )
    )


def _bare_app(owner: UUID) -> Starlette:
    body = orjson.dumps(StubHandlers(owner).page) + b"\n"

    async def page(request: Request) -> Response:
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/api/nfts/user/{userId}", page)])


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: list[tuple[bytes, bytes]]
    body: bytes = b""


async def _asgi(app: Any, call: Call, key: int) -> int:
    """One request through `app`; its status. `key` makes each mint's Idempotency-Key new."""
    headers = [*call.headers, (b"content-length", str(len(call.body)).encode())]
    if call.method == "POST":
        headers.append((b"idempotency-key", f"bench-{key}".encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": call.method,
        "scheme": "http",
        "path": call.path,
        "raw_path": call.path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # no more body: wait for a disconnect that never comes
        sent = True
        return {"type": "http.request", "body": call.body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def _cpu_per_request(app: Any, call: Call, first_key: int) -> float:
    """ms of this process's CPU per request over IN_PROCESS_REQUESTS calls."""
    started = time.process_time()
    for n in range(IN_PROCESS_REQUESTS):
        status = await _asgi(app, call, first_key + n)
        if status >= 300:
            raise RuntimeError(f"{call.method} {call.path}: {status}")
    return (time.process_time() - started) * 1e3 / IN_PROCESS_REQUESTS


async def _in_process_figures() -> dict[tuple[str, str], float]:
    owner = uuid4()
    with stock_rest_apps():
        stock = _in_process_app(owner)
    apps = {STOCK: stock, HOT: _in_process_app(owner)}
    token = bearer(uuid4())["Authorization"].encode()
    mint = MINT
    calls = {
        "GET /api/nfts/user/{id}": Call("GET", f"/api/nfts/user/{owner}", []),
        "POST /api/nfts (JWT, keyed)": Call(
            "POST",
            "/api/nfts",
            [(b"authorization", token), (b"content-type", b"application/json")],
            json.dumps(mint).encode(),
        ),
    }
    runs: dict[tuple[str, str], list[float]] = {}
    key = 0
    for _ in range(2):  # warm-up: imports, first-use caches
        for app in apps.values():
            for call in calls.values():
                await _asgi(app, call, key := key + 1)
    for n in range(IN_PROCESS_ROUNDS):
        labels = list(apps) if n % 2 == 0 else list(reversed(apps))
        for label in labels:
            for operation, call in calls.items():
                figure = await _cpu_per_request(apps[label], call, key)
                key += IN_PROCESS_REQUESTS
                runs.setdefault((label, operation), []).append(figure)
        read = calls["GET /api/nfts/user/{id}"]
        floor = await _cpu_per_request(_bare_app(owner), read, 0)
        runs.setdefault((BARE, "GET /api/nfts/user/{id}"), []).append(floor)
    return {key_: statistics.median(values) for key_, values in runs.items()}


def measure_in_process() -> str:
    figures = asyncio.run(_in_process_figures())
    rows = [[label, operation, f"{value:.3f}"] for (label, operation), value in figures.items()]
    for operation in {operation for _, operation in figures}:
        compare(TITLE, f"in process, {operation}: CPU per request", HOT,
                figures[HOT, operation], STOCK, figures[STOCK, operation], "ms")  # fmt: skip
    return (
        "### In process (ASGI calls, stub handlers: no socket, no database)\n\n"
        + table(["variant", "operation", "CPU ms/request"], rows)
        + f"\nMedians of {IN_PROCESS_ROUNDS} rounds of {IN_PROCESS_REQUESTS} requests per "
        "variant and operation, the variants alternating.\n"
    )


# --- processes under wrk ---------------------------------------------------------------------

# A new Idempotency-Key per request (each thread its own prefix): every mint writes.
MINT_LUA = """
counter = 0
prefix = tostring(math.random(1, 2000000000))
request = function()
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = "bench-" .. prefix .. "-" .. counter
  return wrk.format(nil, nil, nil, nil)
end
"""


def _wrk_script(method: str, headers: Mapping[str, str], body: str, lua: str) -> str:
    lines = [f"wrk.method = {json.dumps(method)}", f"wrk.body = {json.dumps(body)}"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    return "\n".join(lines) + "\n" + lua


@dataclass(frozen=True)
class Target:
    url: str
    pid: int
    lua: str = ""


@dataclass(frozen=True)
class Round:
    rps: float
    cpu_ms: float
    errors: int


def _round(target: Target) -> Round:
    before = cpu_seconds(target.pid)
    result = wrk(target.url, CONNECTIONS, ROUND_SECONDS, lua=target.lua)
    cpu = cpu_seconds(target.pid) - before
    return Round(result.rps, cpu * 1e3 / max(result.requests, 1), result.errors)


def _service_env(service: str, workdir: Path, port: int, jwks: Path) -> dict[str, str]:
    prefix = service.upper()
    return {
        f"{prefix}_HOST": "127.0.0.1",
        f"{prefix}_PORT": str(port),
        f"{prefix}_DATA_DIR": str(workdir / f"data-{service}"),
        f"{prefix}_LOG_LEVEL": "WARNING",
        "CAPSURE_JWKS_URL": jwks.as_uri(),
        "NOTIFICATION_ADDR": f"127.0.0.1:{free_port()}",
        "USER_ADDR": f"127.0.0.1:{free_port()}",
        "NFT_ADDR": f"127.0.0.1:{free_port()}",
        **trusting_env(),
    }


@contextmanager
def running_apps(workdir: Path) -> Iterator[dict[tuple[str, str], tuple[str, int]]]:
    """(variant, service) -> (base URL, pid): nft and user, stock and hot, started one after
    another (the first of a service migrates its SQLite file); all stopped on the way out.
    Tokens are the benchmarks' (bench.common.bearer), published to nft as a JWKS file; user
    signs with the same keys. Notification is not there: the outbox keeps nft's events."""
    from bench.tuning import bench_jwks

    jwks = workdir / "jwks.json"
    jwks.write_bytes(bench_jwks())
    started: list[ManagedProcess] = []
    apps: dict[tuple[str, str], tuple[str, int]] = {}
    try:
        for service in ("nft", "user"):
            for label in (STOCK, HOT):
                port = free_port()
                module = ["-m", f"services.{service}"]
                if label == STOCK:
                    module = ["-m", "bench.connexion_overhead", "serve-stock", service]
                process = spawn(
                    f"{service}-{len(started)}",
                    [sys.executable, *module],
                    _service_env(service, workdir, port, jwks),
                    workdir / "log",
                )
                started.append(process)
                url = f"http://127.0.0.1:{port}"
                process.wait_until(lambda u=url: http_status(f"{u}/healthz") == 200, "healthy")
                apps[label, service] = (url, process.pid)
        yield apps
    finally:
        for process in reversed(started):
            process.stop()


def _seed(apps: Mapping[tuple[str, str], tuple[str, int]]) -> tuple[UUID, UUID]:
    """NFTS NFTs for a new owner (through nft), and a registered user (through user)."""
    from bench.common import seed_nfts

    owner = seed_nfts(apps[HOT, "nft"][0], NFTS)
    request = {
        "username": f"bench{uuid4().hex[:8]}",
        "email": f"bench-{uuid4().hex[:8]}@example.com",
        "password": "bench-password-123",
    }
    import urllib.request

    with urllib.request.urlopen(
        urllib.request.Request(
            apps[HOT, "user"][0] + "/api/users",
            data=json.dumps(request).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        ),
        timeout=5,
    ) as response:
        user = UUID(json.loads(response.read())["id"])
    return owner, user


def measure_processes(workdir: Path) -> str:
    with running_apps(workdir) as apps:
        owner, user = _seed(apps)
        read = f"/api/nfts/user/{owner}"
        me = _wrk_script("GET", bearer(user), "", "")
        mint_body = json.dumps(MINT)
        mint_headers = {**bearer(uuid4()), "Content-Type": "application/json"}
        mint = _wrk_script("POST", mint_headers, mint_body, MINT_LUA)
        operations: dict[str, dict[str, Target]] = {
            "GET /api/nfts/user/{id} (10 NFTs)": {
                label: Target(apps[label, "nft"][0] + read, apps[label, "nft"][1])
                for label in (STOCK, HOT)
            },
            "GET /api/users/me (JWT)": {
                label: Target(apps[label, "user"][0] + "/api/users/me", apps[label, "user"][1], me)
                for label in (STOCK, HOT)
            },
            "POST /api/nfts (JWT, keyed mint)": {
                label: Target(apps[label, "nft"][0] + "/api/nfts", apps[label, "nft"][1], mint)
                for label in (STOCK, HOT)
            },
        }
        nft_env = {"NFT_DATA_DIR": str(workdir / "data-nft")}
        with running_bare_starlette(nft_env) as bare:
            bare_pid = _child_serving("bench.bare_starlette")
            operations["GET /api/nfts/user/{id} (10 NFTs)"][BARE] = Target(bare + read, bare_pid)
            for targets in operations.values():
                for target in targets.values():
                    wrk(target.url, CONNECTIONS, 1, lua=target.lua)  # warm-up
            results = _interleaved(operations)
    rows = []
    for operation, by_label in results.items():
        for label, (rps, cpu_ms, errors) in by_label.items():
            rows.append([operation, label, f"{rps:.0f}", f"{cpu_ms:.3f}", errors])
        compare(TITLE, f"{operation}: app CPU per request", HOT, by_label[HOT][1],
                STOCK, by_label[STOCK][1], "ms")  # fmt: skip
        if BARE in by_label:
            compare(TITLE, f"{operation}: app CPU per request vs the floor", HOT,
                    by_label[HOT][1], BARE, by_label[BARE][1], "ms")  # fmt: skip
    return (
        f"### Processes under wrk ({CONNECTIONS} connections, direct, SQLite)\n\n"
        + table(["operation", "variant", "req/s", "app CPU ms/request", "errors"], rows)
        + f"\nMedians of {ROUNDS} rounds of {ROUND_SECONDS} s per variant, alternating; the "
        "app's CPU from /proc/<pid>/stat over each round ÷ its requests. req/s is shown but "
        "moves with the machine's other load; CPU per request much less.\n"
    )


def _child_serving(module: str) -> int:
    """The pid of this process's child running `python -m <module>` (Linux /proc)."""
    me = os.getpid()
    for pid in Path(f"/proc/{me}/task/{me}/children").read_text().split():
        if module in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
            return int(pid)
    raise RuntimeError(f"no child process runs {module}")


def _interleaved(
    operations: Mapping[str, Mapping[str, Target]],
) -> dict[str, dict[str, tuple[float, float, int]]]:
    runs: dict[tuple[str, str], list[Round]] = {}
    for n in range(ROUNDS):
        for operation, targets in operations.items():
            labels = list(targets) if n % 2 == 0 else list(reversed(targets))
            for label in labels:
                runs.setdefault((operation, label), []).append(_round(targets[label]))
    results: dict[str, dict[str, tuple[float, float, int]]] = {}
    for (operation, label), rounds in runs.items():
        results.setdefault(operation, {})[label] = (
            statistics.median(r.rps for r in rounds),
            statistics.median(r.cpu_ms for r in rounds),
            sum(r.errors for r in rounds),
        )
    return results


def measure() -> str:
    sections = [measure_in_process()]
    with tempfile.TemporaryDirectory(prefix="capsure-bench-connexion-") as workdir:
        sections.append(measure_processes(Path(workdir)))
    return "\n".join(sections)


def serve_stock(service: str) -> None:
    """The service's own `python -m services.<service>`, with Connexion's stock AsyncApp."""
    import importlib

    main = importlib.import_module(f"services.{service}.__main__").main
    with stock_rest_apps():
        main()


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve-stock"] and len(sys.argv) == 3:
        serve_stock(sys.argv[2])
        sys.exit(0)
    from bench.common import main

    sys.exit(main(sys.modules[__name__]))
