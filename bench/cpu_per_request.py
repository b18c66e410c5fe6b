"""What one request costs the app that serves it (issue 13), for every read operation of the
contracts and the keyed writes, on SQLite and on PostgreSQL, beside the floor measured in the
same run.

One mesh per database with one instance of every service, apps on loopback ports
(`private_apps=False`), seeded through the apps' own API: a registered user who owns NFTS NFTs,
an asset with a tick. For each operation wrk sends it straight to the app (16 keep-alive
connections, SECONDS after a warm-up) and the app's CPU per request is its utime + stime from
/proc/<pid>/stat over the run divided by the requests wrk counted. Every GET operation of
contracts/openapi/*.yaml whose path parameters the seed fills is measured (a protected one with
a token of the benchmarks' signing key: the app verifies it); a keyed write sends a new
Idempotency-Key with every request (a wrk Lua `request` function), so none is a replay.

The headline read, `GET /api/nfts/user/{id}` (NFTS NFTs), is measured in interleaved rounds
beside: the floor (bench/bare_starlette.py's ONE_SQL_PATH: bare Starlette, one SQL statement,
rows straight to the contract's JSON, uvicorn as the services run it), the bare Starlette app
with nft's ORM repository (what Connexion costs), the same read through the edge (edge ->
sidecar -> app: what the mesh keeps of direct throughput), and through two plaintext sidecars
of the mesh's own config (bench/hop_envoys.py: the floor of any path of two Envoys). For the
paths through Envoys the Envoys' CPU per request is reported too, and for every path the
machine's (/proc/stat: every process, the load generator's included): on two cores the direct
path leaves CPU idle and the Envoys' paths use it, so what the edge keeps of direct req/s
follows what it adds to the machine's CPU per request."""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import yaml

from bench.bare_starlette import ONE_SQL_PATH, BareStarlette, running_bare_starlette
from bench.common import (
    WRK_INSTALL,
    bearer,
    compare,
    cpu_seconds,
    get,
    machine_cpu_seconds,
    ms,
    running_mesh,
    seed_nfts,
    table,
    wait_for,
    wait_routed,
    wrk,
    wrk_path,
)
from bench.hop_envoys import CallerVariant, Hop, running_hops
from bench.postgres import (
    POSTGRES,
    drop_databases,
    postgres_unavailable,
    temporary_database_name,
)
from mesh.runner import Mesh

TITLE = "App CPU per request, every operation"
COMMAND = "python -m bench.cpu_per_request"
LIMIT_SECONDS = 900  # two meshes of five services on a busy 2-core machine, ~40 runs each

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("nft", "user", "analytics", "trading", "notification")
NFTS = 10
CONNECTIONS = 16
SECONDS = int(os.environ.get("BENCH_CPU_SECONDS", "2"))  # per operation (wrk: whole seconds)
WARM_UP_SECONDS = 1
HEADLINE_ROUNDS = 3  # the read, its floors and the edge path: interleaved rounds
ALL_ROLES = ("User", "Developer", "Moderator", "Admin")  # every protected read admits it
SYMBOL = "BENCHCPU"
ALERT_USERS = 100
# Required query parameters of a read (the contract's own values).
QUERIES = {"get_candles": "?interval=1m"}

READ = "GET /api/nfts/user/{userId}"
PROTECTED_READ = "GET /api/users/me"
MINT = "POST /api/nfts (keyed)"
DIRECT, FLOOR, BARE, EDGE, TWO_ENVOYS = (
    "Connexion app, direct",
    "floor: bare Starlette + one SQL statement",
    "bare Starlette + nft's ORM repository",
    "edge → sidecar → app",
    "floor of two Envoys: plaintext sidecar → sidecar → app",
)
SQLITE, POSTGRESQL = "SQLite", "PostgreSQL"
GOAL_CPU_MS = 0.4
GOAL_OF_FLOOR = 0.6
GOAL_EDGE = 0.9


@dataclass(frozen=True)
class Operation:
    service: str
    method: str
    path: str  # the contract's template
    operation_id: str
    protected: bool

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Target:
    """What wrk sends, and whose CPU is counted."""

    url: str
    pid: int
    headers: Mapping[str, str] = field(default_factory=dict)
    lua: str = ""  # a request function: a write with a key of its own per request
    envoys: tuple[int, ...] = ()  # the Envoys on its path, whose CPU is counted apart


@dataclass
class Figures:
    requests: int = 0
    seconds: float = 0.0
    cpu: float = 0.0  # the app's CPU seconds over the runs
    envoy_cpu: float = 0.0  # the path's Envoys' CPU seconds
    machine_cpu: float = 0.0  # every core's busy seconds
    errors: int = 0
    p50s: list[float] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        return self.per_request_ms(self.cpu)

    def per_request_ms(self, seconds: float) -> float:
        return seconds * 1e3 / self.requests if self.requests else float("nan")

    def add(self, target: Target) -> None:
        before = cpu_seconds(target.pid)
        envoys = sum(cpu_seconds(pid) for pid in target.envoys)
        machine = machine_cpu_seconds()
        result = wrk(target.url, CONNECTIONS, SECONDS, headers=target.headers, lua=target.lua)
        self.machine_cpu += machine_cpu_seconds() - machine
        self.envoy_cpu += sum(cpu_seconds(pid) for pid in target.envoys) - envoys
        self.cpu += cpu_seconds(target.pid) - before
        self.requests += result.requests
        self.seconds += result.seconds
        self.errors += result.errors
        self.p50s.append(result.p50_ms)


@dataclass(frozen=True)
class Measured:
    service: str
    protected: bool
    found: Figures | str  # or why it was not measured


@dataclass
class Section:
    database: str
    headline: dict[str, Figures]
    operations: dict[str, Measured]  # operation name -> what was measured
    notes: list[str]


# --- the operations ----------------------------------------------------------------------


def contract_reads() -> list[Operation]:
    """Every GET of the services' contracts, in the contracts' order."""
    found = []
    for service in SERVICES:
        spec = yaml.safe_load((ROOT / "contracts" / "openapi" / f"{service}.yaml").read_text())
        default_security = spec.get("security")
        for path, item in spec["paths"].items():
            operation = item.get("get")
            if operation is None:
                continue
            protected = bool(operation.get("security", default_security))
            found.append(Operation(service, "GET", path, operation["operationId"], protected))
    return found


@dataclass(frozen=True)
class Seed:
    owner: UUID  # a registered user owning NFTS NFTs
    nft_id: str
    symbol: str

    def fill(self, path: str) -> str | None:
        """`path` with its parameters filled from the seed; None when one is unknown."""
        values = {"userId": str(self.owner), "nftId": self.nft_id, "assetSymbol": self.symbol}
        try:
            return path.format(**values)
        except KeyError:
            return None


def post(url: str, body: Any, headers: Mapping[str, str]) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={**headers, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def seed(mesh: Mesh) -> Seed:
    """A registered user with NFTS NFTs, and a tick stored for SYMBOL (trading's outbox to
    analytics), through the apps' own API."""
    user, nft = app_url(mesh, "user"), app_url(mesh, "nft")
    trading, analytics = app_url(mesh, "trading"), app_url(mesh, "analytics")
    name = f"bench{uuid4().hex[:10]}"
    registered = post(
        f"{user}/api/users",
        {"username": name, "email": f"{name}@example.com", "password": "bench-password-1"},
        {},
    )
    owner = UUID(registered["id"])
    seed_nfts(nft, NFTS, owner)
    nft_id = json.loads(get(f"{nft}/api/nfts/user/{owner}")[1])[0]["id"]
    tick = {"assetSymbol": SYMBOL, "price": 100.0, "timestamp": now_ms()}
    post(f"{trading}/api/trading/market-data", tick, bearer(uuid4(), ("Developer",)))
    stats = f"{analytics}/api/analytics/assets/{SYMBOL}/stats"
    wait_for(lambda: get(stats)[0] == 200, "the seed's tick in analytics", 30)
    return Seed(owner, nft_id, SYMBOL)


def now_ms() -> int:
    return int(time.time() * 1000)


def app_url(mesh: Mesh, service: str) -> str:
    return mesh.instances[service][0].app.url


def app_pid(mesh: Mesh, service: str) -> int:
    return mesh.instances[service][0].app.pid


def keyed_writes(mesh: Mesh) -> dict[str, tuple[str, Target]]:
    """name -> (service, target): writes with a new Idempotency-Key per request, each by a new
    user (a mint's owner is not the seed's: it keeps NFTS NFTs)."""
    minter, publisher, depositor = uuid4(), uuid4(), uuid4()
    # notification arms at most 100 alerts per user: a few thousand requests need more users.
    watchers = [bearer(uuid4()) for _ in range(ALERT_USERS)]
    mint = {"name": "Bench mint", "metadata": {"image": "https://img.example/bench/mint.png"}}
    tick = {"assetSymbol": "BENCHW", "price": 42.0, "timestamp": now_ms()}
    alert = {"assetSymbol": "BENCHW", "direction": "above", "threshold": 50.0}
    developer = [bearer(publisher, ("Developer",))]
    writes = {
        MINT: ("nft", "/api/nfts", mint, [bearer(minter)]),
        "POST /api/trading/market-data (keyed)": (
            "trading", "/api/trading/market-data", tick, developer),
        "POST /api/trading/wallet/deposits (keyed)": (
            "trading", "/api/trading/wallet/deposits", {"amount": "1.00"}, [bearer(depositor)]),
        "POST /api/notifications/alerts (keyed)": (
            "notification", "/api/notifications/alerts", alert, watchers),
    }  # fmt: skip
    return {
        name: (service, Target(app_url(mesh, service) + path, app_pid(mesh, service),
                               lua=keyed_post_lua(path, body, tokens)))
        for name, (service, path, body, tokens) in writes.items()
    }  # fmt: skip


def keyed_post_lua(path: str, body: Any, tokens: Sequence[Mapping[str, str]]) -> str:
    """A wrk `request` function: POST `body` to `path`, a new Idempotency-Key every time (one
    wrk thread: a counter is unique; a prefix read from /dev/urandom when wrk starts keeps keys
    apart across runs, since the same script serves the warm-up and the measurement: a key
    reused there was a replay, far cheaper than a write), the `tokens` (header sets) taking
    turns."""
    sets = []
    for token in tokens:
        lua_headers = {**token, "Content-Type": "application/json"}
        sets.append(
            "{" + ", ".join(f'["{k}"] = {json.dumps(v)}' for k, v in lua_headers.items()) + "}"
        )
    return f"""
local counter = 0
local urandom = assert(io.open("/dev/urandom", "rb"))
local run = urandom:read(8):gsub(".", function(c) return string.format("%02x", c:byte()) end)
urandom:close()
local prefix = "bench-{uuid4().hex}-" .. run .. "-"
local body = {json.dumps(json.dumps(body))}
local tokens = {{{", ".join(sets)}}}
request = function()
  counter = counter + 1
  local headers = {{}}
  for name, value in pairs(tokens[counter % #tokens + 1]) do headers[name] = value end
  headers["Idempotency-Key"] = prefix .. counter
  return wrk.format("POST", "{path}", headers, body)
end
"""


# --- measuring ---------------------------------------------------------------------------


def measure() -> str:
    if wrk_path() is None:
        return f"**Skipped**: wrk is not installed ({WRK_INSTALL}).\n"
    operations = contract_reads()
    sections = [measure_database(SQLITE, {}, operations)]
    skipped = ""
    if reason := postgres_unavailable():
        skipped = f"**PostgreSQL skipped**: nothing answers at {POSTGRES} ({reason}).\n\n"
    else:
        try:
            sections.append(measure_postgres(operations))
        except Exception as error:  # keep the SQLite figures; say why PostgreSQL has none
            skipped = f"**PostgreSQL failed**: `{error!r}`\n\n"
    return report(sections, skipped)


def measure_postgres(operations: list[Operation]) -> Section:
    """Every service on a PostgreSQL database of its own, made by the app at start and
    dropped afterwards."""
    names = {service: temporary_database_name() for service in SERVICES}
    env = {f"{s.upper()}_DATABASE_URL": f"{POSTGRES}/{name}" for s, name in names.items()}
    try:
        section = measure_database(POSTGRESQL, env, operations)
    finally:
        drop_databases(names.values())
    section.notes.append(f"Temporary databases {', '.join(names.values())}, dropped afterwards.")
    return section


def measure_database(database: str, env: Mapping[str, str], operations: list[Operation]) -> Section:
    print(f"   {database}: starting the mesh", file=sys.stderr, flush=True)
    with ExitStack() as stack:
        mesh = stack.enter_context(
            running_mesh(dict.fromkeys(SERVICES, 1), app_env=env, private_apps=False)
        )
        seeded = seed(mesh)
        nft_env = dict(env) or {"NFT_DATA_DIR": str(mesh.workdir / "data")}
        bare = stack.enter_context(running_bare_starlette(nft_env))
        read_path = f"/api/nfts/user/{seeded.owner}"
        wait_routed(mesh.edge_url + read_path)
        # The same JSON, not bytes: the app may serialise differently (orjson, no newline).
        answer = json.loads(get(app_url(mesh, "nft") + read_path)[1])
        floor_path = ONE_SQL_PATH.format(userId=seeded.owner)
        differ = [
            label
            for label, path in ((BARE, read_path), (FLOOR, floor_path))
            if json.loads(get(bare.url + path)[1]) != answer
        ]
        hops = stack.enter_context(two_envoys(mesh, read_path))
        headline = measure_headline(mesh, bare, read_path, hops)
        print(f"   {database}: every operation", file=sys.stderr, flush=True)
        measured = measure_operations(mesh, seeded, operations)
    notes = [f"**{label} answered another JSON than the app** (check it)." for label in differ]
    return Section(database, headline, measured, notes)


PLAINTEXT = CallerVariant("plaintext", secure=False)


@contextmanager
def two_envoys(mesh: Mesh, read_path: str) -> Iterator[Hop]:
    """A plaintext caller sidecar and nft's sidecar, both of the mesh's config, in front of
    the nft app: the path of two Envoys with no TLS, RBAC or JWT check on it."""
    app_port = urlsplit(mesh.instances["nft"][0].app.url).port
    assert app_port is not None  # private_apps=False: the app is on a loopback port
    with (
        tempfile.TemporaryDirectory(prefix="capsure-bench-hop-") as workdir,
        running_hops([PLAINTEXT], app_port, read_path, Path(workdir)) as hops,
    ):
        yield hops[PLAINTEXT.label]


def measure_headline(
    mesh: Mesh, bare: BareStarlette, read_path: str, hop: Hop
) -> dict[str, Figures]:
    """The seed's read and what it is compared with, in interleaved rounds."""
    nft = mesh.instances["nft"][0]
    floor_path = ONE_SQL_PATH.format(userId=read_path.rsplit("/", 1)[1])
    assert mesh.edge is not None
    targets = {
        DIRECT: Target(nft.app.url + read_path, nft.app.pid),
        FLOOR: Target(bare.url + floor_path, bare.pid),
        BARE: Target(bare.url + read_path, bare.pid),
        EDGE: Target(mesh.edge_url + read_path, nft.app.pid, envoys=edge_envoys(mesh)),
        TWO_ENVOYS: Target(hop.url, nft.app.pid, envoys=(hop.caller.pid, hop.callee.pid)),
    }
    for target in targets.values():
        wrk(target.url, CONNECTIONS, WARM_UP_SECONDS)
    figures = {label: Figures() for label in targets}
    for n in range(HEADLINE_ROUNDS):
        order = list(targets) if n % 2 == 0 else list(targets)[::-1]
        for label in order:
            figures[label].add(targets[label])
    return figures


def edge_envoys(mesh: Mesh) -> tuple[int, int]:
    """The edge and nft's sidecar: the Envoys of the edge path."""
    assert mesh.edge is not None
    return mesh.edge.pid, mesh.instances["nft"][0].sidecar.pid


def read_target(mesh: Mesh, seeded: Seed, operation: Operation) -> Target | None:
    """A GET `operation` straight to its app, filled from the seed (None: it cannot be),
    with a token when it is protected."""
    path = seeded.fill(operation.path)
    if path is None:
        return None
    headers = bearer(seeded.owner, ALL_ROLES) if operation.protected else {}
    return Target(
        app_url(mesh, operation.service) + path + QUERIES.get(operation.operation_id, ""),
        app_pid(mesh, operation.service),
        headers,
    )


def measure_operations(
    mesh: Mesh, seeded: Seed, operations: list[Operation]
) -> dict[str, Measured]:
    """Each operation once (after a warm-up); one that does not answer 200 with the seed is
    listed with its status instead."""
    found: dict[str, Measured] = {}
    for operation in operations:
        name, service, protected = operation.name, operation.service, operation.protected
        target = read_target(mesh, seeded, operation)
        result = run_alone(target) if target else "no seeded value for its path"
        found[name] = Measured(service, protected, result)
    for name, (service, target) in keyed_writes(mesh).items():
        found[name] = Measured(service, True, run_alone(target, expect=201))
    return found


def run_alone(target: Target, expect: int = 200) -> Figures | str:
    if target.lua == "":
        status = status_of(target)
        if status != expect:
            return f"answers {status} with the seed"
    wrk(target.url, CONNECTIONS, WARM_UP_SECONDS, headers=target.headers, lua=target.lua)
    figures = Figures()
    figures.add(target)
    return figures


def status_of(target: Target) -> int:
    request = urllib.request.Request(target.url, headers=dict(target.headers))
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


# --- report ------------------------------------------------------------------------------


def report(sections: list[Section], skipped: str) -> str:
    for section in sections:
        record(section)
    if len(sections) == 2:
        lite, pg = (s.headline[DIRECT] for s in sections)
        compare(TITLE, f"app CPU/request, {READ}", POSTGRESQL, pg.cpu_ms, SQLITE,
                lite.cpu_ms, "ms")  # fmt: skip
    headline_rows = [row for section in sections for row in headline(section)]
    header = ["database", "path", "req/s (16 conns)", "÷ floor", "÷ direct", "app CPU ms/req",
              "Envoys' CPU ms/req", "machine CPU ms/req", "p50 ms (median of rounds)",
              "errors"]  # fmt: skip
    databases = [s.database for s in sections]
    op_header = ["operation", "service", "auth"]
    for database in databases:
        op_header += [f"{database} CPU ms/req", f"{database} req/s"]
    op_rows = []
    for name, first in sections[0].operations.items():
        row: list[object] = [name, first.service, "token" if first.protected else ""]
        for section in sections:
            measured = section.operations.get(name)
            row += cells(measured.found if measured else "-")
        op_rows.append(row)
    notes = " ".join(n for s in sections for n in s.notes)
    return (
        f"{skipped}### The seed's read, `{READ}` ({NFTS} NFTs), beside its floor\n\n"
        f"{table(header, headline_rows)}\n"
        f"Goals (issue 13): the read ≤ {GOAL_CPU_MS} ms of app CPU per request, ≥ "
        f"{GOAL_OF_FLOOR}x the floor's req/s, the edge path ≥ {GOAL_EDGE}x direct. "
        f"{HEADLINE_ROUNDS} interleaved rounds of {SECONDS} s per path at {CONNECTIONS} "
        "connections (wrk, keep-alive, after a warm-up); CPU ms/req is the serving process's "
        "utime + stime (/proc/<pid>/stat) over the rounds ÷ the requests wrk counted; on the "
        "paths through Envoys it is still the nft app's alone, and the Envoys' is beside it "
        "(the edge's and nft's sidecar; the two plaintext sidecars'). Machine CPU: every "
        "core's busy time (/proc/stat), wrk and the database included. On two cores the "
        "direct path leaves CPU idle (the one app process is its bottleneck); a path through "
        "Envoys keeps of direct req/s about what it adds to the machine's CPU per request "
        "allows, so the floor of two Envoys shows what any such path can keep here.\n\n"
        "### Every operation, straight to its app\n\n"
        f"{table(op_header, op_rows)}\n"
        f"One run of {SECONDS} s per operation at {CONNECTIONS} connections after a "
        f"{WARM_UP_SECONDS} s warm-up, one instance of every service, apps on loopback ports. "
        "Seed: a registered user owning the NFTs (`{userId}`, `{nftId}`), one tick of "
        f"`{SYMBOL}` (`{{assetSymbol}}`). Protected reads carry a token of the benchmarks' key "
        f"with the roles {', '.join(ALL_ROLES)} (the app verifies it). Keyed writes send a new "
        "Idempotency-Key with every request (none is a replay); mints go to a new owner. "
        f"Errors: wrk's socket errors and statuses ≥ 400. {notes}\n"
    )


def cells(found: Figures | str) -> list[object]:
    if isinstance(found, str):
        return [found, ""]
    errors = f" ({found.errors} errors)" if found.errors else ""
    return [f"{found.cpu_ms:.2f}", f"{found.rps:.0f}{errors}"]


def headline(section: Section) -> Iterator[list[object]]:
    floor, direct = section.headline[FLOOR].rps, section.headline[DIRECT].rps
    for label, figures in section.headline.items():
        envoys = figures.per_request_ms(figures.envoy_cpu) if figures.envoy_cpu else None
        yield [
            section.database,
            label,
            f"{figures.rps:.0f}",
            f"{figures.rps / floor:.2f}" if floor else "-",
            f"{figures.rps / direct:.2f}" if direct else "-",
            f"{figures.cpu_ms:.3f}",
            "" if envoys is None else f"{envoys:.3f}",
            f"{figures.per_request_ms(figures.machine_cpu):.3f}",
            ms(statistics.median(figures.p50s)),
            figures.errors,
        ]


def record(section: Section) -> None:
    db, at = section.database, section.headline
    read = at[DIRECT]
    compare(TITLE, f"req/s, {READ}, {db}", DIRECT, read.rps, FLOOR, at[FLOOR].rps, "req/s",
            higher_is_better=True)  # fmt: skip
    compare(TITLE, f"app CPU/request, {READ}, {db}", DIRECT, read.cpu_ms, FLOOR,
            at[FLOOR].cpu_ms, "ms")  # fmt: skip
    compare(TITLE, f"req/s, {READ}, {db}", EDGE, at[EDGE].rps, DIRECT, read.rps, "req/s",
            higher_is_better=True)  # fmt: skip
    compare(TITLE, f"req/s, {READ}, {db}", EDGE, at[EDGE].rps, TWO_ENVOYS, at[TWO_ENVOYS].rps,
            "req/s", higher_is_better=True)  # fmt: skip
    for name in (PROTECTED_READ, MINT):
        measured = section.operations.get(name)
        if measured is not None and isinstance(found := measured.found, Figures):
            compare(TITLE, f"app CPU/request, {db}", name, found.cpu_ms, READ, read.cpu_ms,
                    "ms")  # fmt: skip


if __name__ == "__main__":
    from bench.common import main

    sys.exit(main(sys.modules[__name__]))
