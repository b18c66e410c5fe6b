"""Soak: sustained mixed traffic through the edge of a mesh it starts, and the memory of every
process over time. Does anything fail, and does anything keep growing?

Traffic is paced (a fixed rate per kind, well below what two cores carry, so latency reflects
the mesh and not a queue in front of it): REST reads (an owner's NFTs, an asset's stats), keyed
REST writes (mints, market-data ticks with a Developer token; each its own Idempotency-Key, so
every write is stored and its response kept for 24 h) and the seed's gRPC SendMarketData with
a stock grpcio client. Every tick goes on through trading's outbox to analytics and
notification, so the relays run the whole time too.

RSS of every app, every Envoy and the registry is sampled every few seconds. The first part of
the run is warm-up (imports, caches, connection pools, SQLite's page cache): memory is judged
on what follows it — its start, middle and end, and the slope of a least-squares line through
every sample (MiB per minute; flat memory is a slope within noise)."""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import grpc

from bench.common import (
    bearer,
    facts_markdown,
    get,
    load_average,
    percentile,
    running_mesh,
    seed_nfts,
    smaps_rollup,
    table,
    time_limit,
    wait_for,
    wait_routed,
    write_report,
)
from bench.mesh_clients import MARKET_DATA_ROLES, Metadata, market_data_token
from generated.grpc.market import MarketDataRequest, MarketDataResponse
from mesh.runner import Mesh

TITLE = "Soak: sustained mixed traffic through the edge"
COMMAND = "python -m bench.soak [--seconds N]   (make soak)"
DEFAULT_SECONDS = 600.0
INSTANCES = dict.fromkeys(("nft", "user", "analytics", "trading", "notification"), 1)
REQUEST_TIMEOUT_SECONDS = 5.0
GRPC_METHOD = "/market.MarketDataService/SendMarketData"
SYMBOL, GRPC_SYMBOL = "SOAK-USD", "SOAK-GRPC"
OWNERS = 3  # seeded owners whose NFTs are read back; each has NFTS_PER_OWNER
NFTS_PER_OWNER = 10
MINTERS = 20  # made-up users the mints rotate over (a token each, reused)
TOKEN_REISSUE_SECONDS = 60.0  # tokens live 10 min; a soak outlives them
STARTUP_LIMIT_SECONDS = 180  # the mesh's start, seeding and stop, on top of the run itself


# --- tokens ------------------------------------------------------------------------------


class Tokens:
    """Bearer headers signed with the key the benchmark's user service loads (`bench.common.
    bearer`, valid 10 min), reissued every minute so a run of any length never sends an
    expired one, and signed once a minute rather than per request."""

    def __init__(self) -> None:
        self._cache: dict[tuple[UUID, tuple[str, ...]], tuple[float, dict[str, str]]] = {}
        self._lock = threading.Lock()

    def bearer(self, user: UUID, roles: tuple[str, ...] = ("User",)) -> dict[str, str]:
        with self._lock:
            issued, header = self._cache.get((user, roles), (0.0, {}))
            if time.monotonic() - issued > TOKEN_REISSUE_SECONDS:
                header = bearer(user, roles)
                self._cache[user, roles] = (time.monotonic(), header)
            return header

    def grpc_metadata(self, user: UUID, roles: tuple[str, ...]) -> Metadata:
        """The same token as gRPC metadata (the edge admits market data with a gRPC role)."""
        return (("authorization", self.bearer(user, roles)["Authorization"]),)


# --- traffic -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    kind: str
    started: float  # seconds since the run began
    seconds: float
    ok: bool
    detail: str  # the status, or the error, when not ok


class Edge:
    """One keep-alive HTTP/1.1 connection to the edge (one per worker thread); a new one after
    an error. Returns (status, body) or raises OSError/HTTPException."""

    def __init__(self, url: str) -> None:
        self._netloc = urlsplit(url).netloc
        self._connection: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, body: object = None, headers: Mapping[str, str] | None = None
    ) -> tuple[int, bytes]:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(
                self._netloc, timeout=REQUEST_TIMEOUT_SECONDS
            )
        data = None if body is None else json.dumps(body).encode()
        sent = {**(headers or {}), **({"Content-Type": "application/json"} if data else {})}
        try:
            self._connection.request(method, path, body=data, headers=sent)
            response = self._connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if response.will_close:
            self.close()
        return response.status, payload

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


# A sender makes one request; it returns "" when it succeeded, else what went wrong.
Sender = Callable[[int], str]


@dataclass(frozen=True)
class Kind:
    name: str
    rate: float  # requests per second, all its workers together
    workers: int
    sender: Callable[[], Sender]  # called once per worker: its own connection and counters


@dataclass
class Scenario:
    """The traffic of a soak against one mesh: what to send, and the state it shares."""

    edge_url: str
    owners: Sequence[UUID]
    tokens: Tokens = field(default_factory=Tokens)
    run: str = field(default_factory=lambda: uuid4().hex[:8])
    _clock: Iterator[int] = field(default_factory=lambda: itertools.count(int(time.time() * 1000)))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def timestamp(self) -> int:
        """Tick timestamps: increasing across every writer (a market feed's are)."""
        with self._lock:
            return next(self._clock)

    def kinds(self, grpc_channel: grpc.Channel) -> list[Kind]:
        return [
            Kind("GET /api/nfts/user/{id}", 20, 2, self._owner_reads),
            Kind("GET /api/analytics/assets/{s}/stats", 8, 1, self._stats_reads),
            Kind("POST /api/nfts (keyed mint)", 3, 1, self._mints),
            Kind("POST /api/trading/market-data (keyed)", 10, 2, self._ticks),
            Kind("gRPC market.SendMarketData", 10, 2, lambda: self._grpc_ticks(grpc_channel)),
        ]

    def _owner_reads(self) -> Sender:
        edge = Edge(self.edge_url)

        def send(n: int) -> str:
            status, body = edge.request(
                "GET", f"/api/nfts/user/{self.owners[n % len(self.owners)]}"
            )
            if status != 200:
                return str(status)
            return "" if len(json.loads(body)) == NFTS_PER_OWNER else "wrong NFTs"

        return send

    def _stats_reads(self) -> Sender:
        edge = Edge(self.edge_url)

        def send(n: int) -> str:
            status, _ = edge.request("GET", f"/api/analytics/assets/{SYMBOL}/stats")
            return "" if status == 200 else str(status)

        return send

    def _mints(self) -> Sender:
        edge, worker = Edge(self.edge_url), uuid4().hex[:6]
        minters = [uuid4() for _ in range(MINTERS)]

        def send(n: int) -> str:
            body = {
                "name": f"Soak #{n}",
                "metadata": {"image": f"https://img.example/soak/{n}.png"},
            }
            headers = {
                **self.tokens.bearer(minters[n % MINTERS]),
                "Idempotency-Key": f"soak-{self.run}-mint-{worker}-{n}",
            }
            status, _ = edge.request("POST", "/api/nfts", body, headers)
            return "" if status == 201 else str(status)

        return send

    def _ticks(self) -> Sender:
        edge, worker, publisher = Edge(self.edge_url), uuid4().hex[:6], uuid4()

        def send(n: int) -> str:
            tick = {"assetSymbol": SYMBOL, "price": 100.0 + n % 17, "timestamp": self.timestamp()}
            headers = {
                **self.tokens.bearer(publisher, ("Developer",)),
                "Idempotency-Key": f"soak-{self.run}-tick-{worker}-{n}",
            }
            status, _ = edge.request("POST", "/api/trading/market-data", tick, headers)
            return "" if status == 201 else str(status)

        return send

    def _grpc_ticks(self, channel: grpc.Channel) -> Sender:
        call = channel.unary_unary(GRPC_METHOD)  # bytes in, bytes out: betterproto serialises
        publisher = uuid4()

        def send(n: int) -> str:
            tick = MarketDataRequest(
                asset_symbol=GRPC_SYMBOL, price=50.0 + n % 13, timestamp=self.timestamp()
            )
            token = self.tokens.grpc_metadata(publisher, MARKET_DATA_ROLES)
            answer = call(bytes(tick), timeout=REQUEST_TIMEOUT_SECONDS, metadata=token)
            reply = MarketDataResponse().parse(answer)
            return "" if reply.success else "success=false"

        return send


@dataclass
class PacedLoad:
    """Each kind's workers send at its rate until stopped: a worker waits for its next slot
    (pacing, not synchronisation) and, when it falls behind, starts again from now rather than
    bursting to catch up. Every request is kept as an Outcome."""

    kinds: Sequence[Kind]
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _began: float = 0.0

    def __enter__(self) -> PacedLoad:
        self._began = time.monotonic()
        for kind in self.kinds:
            for number in range(kind.workers):
                offset = number / kind.rate  # the kind's workers take turns
                thread = threading.Thread(
                    target=self._work, args=(kind, offset), name=f"soak-{kind.name}-{number}"
                )
                thread.start()
                self._threads.append(thread)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(REQUEST_TIMEOUT_SECONDS + 2)

    def _work(self, kind: Kind, offset: float) -> None:
        send, interval = kind.sender(), kind.workers / kind.rate
        mine: list[Outcome] = []
        next_at = self._began + offset
        for n in itertools.count():
            if self._stop.wait(max(0.0, next_at - time.monotonic())):
                break
            started = time.monotonic()
            try:
                problem = send(n)
            except (OSError, http.client.HTTPException, grpc.RpcError, ValueError) as error:
                problem = f"{type(error).__name__}: {error}"[:120]
            finished = time.monotonic()
            mine.append(
                Outcome(kind.name, started - self._began, finished - started, not problem, problem)
            )
            next_at = max(next_at + interval, finished - interval)
        self.outcomes.extend(mine)  # list.extend is atomic under the GIL


# --- memory ------------------------------------------------------------------------------


@dataclass
class MemorySamples:
    """RSS (KiB) of each process, every `interval` seconds, in a background thread."""

    pids: Mapping[str, int]
    interval: float
    times: list[float] = field(default_factory=list)  # seconds since the run began
    rss: dict[str, list[int]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _began: float = 0.0

    def __enter__(self) -> MemorySamples:
        self._began = time.monotonic()
        self.rss = {label: [] for label in self.pids}
        self._sample()
        self._thread = threading.Thread(target=self._run, name="soak-memory", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self._sample()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        readings = {label: smaps_rollup(pid)["Rss"] for label, pid in self.pids.items()}
        self.times.append(time.monotonic() - self._began)
        for label, kib in readings.items():
            self.rss[label].append(kib)


@dataclass(frozen=True)
class MemoryTrend:
    """One process after warm-up, in MiB: start, middle, end (each the median of the nearest
    three samples, so one sample's noise does not decide), the slope of the least-squares line
    through every sample, and the growth from start to end."""

    first: float  # the very first sample, before warm-up: what warm-up added is start - first
    start: float
    middle: float
    end: float
    slope_per_minute: float
    samples: int

    @property
    def growth(self) -> float:
        return self.end - self.start


def trend(times: Sequence[float], kib: Sequence[int], first_kib: int) -> MemoryTrend:
    mib = [k / 1024 for k in kib]
    edge = min(3, max(1, len(mib) // 3))
    mid = len(mib) // 2
    slope = statistics.linear_regression(times, mib).slope * 60 if len(mib) > 1 else 0.0
    return MemoryTrend(
        first=first_kib / 1024,
        start=statistics.median(mib[:edge]),
        middle=statistics.median(mib[max(0, mid - 1) : mid + 2]),
        end=statistics.median(mib[-edge:]),
        slope_per_minute=slope,
        samples=len(mib),
    )


# --- a run -------------------------------------------------------------------------------


@dataclass
class SoakResult:
    seconds: float
    warm_up: float
    kinds: Sequence[Kind]
    outcomes: Sequence[Outcome]
    memory: Mapping[str, MemoryTrend]

    @property
    def requests(self) -> int:
        return len(self.outcomes)

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def error_rate(self) -> float:
        return len(self.errors) / self.requests if self.requests else 1.0

    def traffic_rows(self) -> list[list[object]]:
        rows: list[list[object]] = []
        for kind in self.kinds:
            mine = [o for o in self.outcomes if o.kind == kind.name]
            latencies = sorted(o.seconds for o in mine)
            errors = sum(not o.ok for o in mine)
            rows.append([
                kind.name, f"{kind.rate:g}", len(mine), f"{len(mine) / self.seconds:.1f}", errors,
                f"{percentile(latencies, 50) * 1e3:.1f}", f"{percentile(latencies, 99) * 1e3:.1f}",
            ])  # fmt: skip
        return rows

    def memory_rows(self) -> list[list[object]]:
        return [
            [label, f"{t.first:.1f}", f"{t.start:.1f}", f"{t.middle:.1f}", f"{t.end:.1f}",
             f"{t.growth:+.1f}", f"{t.slope_per_minute:+.2f}"]
            for label, t in self.memory.items()
        ]  # fmt: skip

    def markdown(self) -> str:
        failures = sorted({o.detail for o in self.errors})[:5]
        traffic = table(
            ["kind", "target/s", "requests", "achieved/s", "errors", "p50 ms", "p99 ms"],
            self.traffic_rows(),
        )
        memory = table(
            [
                "process",
                "at 0 s MiB",
                "start MiB",
                "middle MiB",
                "end MiB",
                "growth MiB",
                "slope MiB/min",
            ],
            self.memory_rows(),
        )
        samples = next(iter(self.memory.values())).samples if self.memory else 0
        errors = f"{len(self.errors)} errors (error rate {self.error_rate:.4%})"
        examples = f": {'; '.join(failures)}" if failures else ""
        return (
            f"{self.requests} requests in {self.seconds:.0f} s, **{errors}**{examples}.\n\n"
            f"{traffic}\nRSS when the traffic started (at 0 s), then after {self.warm_up:.0f} s "
            f"of warm-up ({samples} samples per process; start, middle and end are medians of "
            "three neighbouring samples; growth is end - start; slope: a least-squares line "
            f"through all of them):\n\n{memory}"
        )


def warm_up_seconds(seconds: float) -> float:
    """The first tenth of a run, 5 to 60 s: imports, caches and pools settle in it."""
    return min(60.0, max(5.0, seconds / 10))


def sample_interval(seconds: float) -> float:
    """Every 5 s on a long run; at least 20 samples after warm-up on a short one."""
    return min(5.0, max(0.5, (seconds - warm_up_seconds(seconds)) / 20))


def processes(mesh: Mesh) -> dict[str, int]:
    """label -> pid of every process in the mesh: edge, registry and its sidecar, each app and
    sidecar."""
    assert mesh.edge is not None and mesh.registry is not None
    assert mesh.registry_sidecar is not None
    found = {
        "edge Envoy": mesh.edge.pid,
        "registry": mesh.registry.pid,
        "registry sidecar": mesh.registry_sidecar.pid,
    }
    for _, group in sorted(mesh.instances.items()):
        for running in group:
            found[f"{running.id} app"] = running.app.pid
            found[f"{running.id} sidecar"] = running.sidecar.pid
    return found


def prepare(mesh: Mesh, tokens: Tokens) -> list[UUID]:
    """Owners with NFTs to read, a first tick (so the stats read finds its asset), and gRPC
    routed through the edge; then the traffic can run without a start-up error."""
    edge = mesh.edge_url
    wait_routed(f"{edge}/api/nfts/user/{uuid4()}")
    owners = [seed_nfts(edge, NFTS_PER_OWNER) for _ in range(OWNERS)]
    Edge(edge).request(
        "POST",
        "/api/trading/market-data",
        {"assetSymbol": SYMBOL, "price": 100.0, "timestamp": int(time.time() * 1000) - 1},
        tokens.bearer(uuid4(), ("Developer",)),
    )
    wait_for(lambda: get(f"{edge}/api/analytics/assets/{SYMBOL}/stats")[0] == 200, "first tick")
    return owners


def grpc_served(channel: grpc.Channel) -> bool:
    tick = bytes(MarketDataRequest(asset_symbol=GRPC_SYMBOL, price=1.0, timestamp=1))
    try:
        send = channel.unary_unary(GRPC_METHOD)
        reply = send(tick, timeout=REQUEST_TIMEOUT_SECONDS, metadata=market_data_token())
    except grpc.RpcError:
        return False
    return MarketDataResponse().parse(reply).success


@contextmanager
def soak_mesh(instances: Mapping[str, int]) -> Iterator[tuple[Mesh, grpc.Channel]]:
    with (
        running_mesh(instances) as mesh,
        grpc.insecure_channel(mesh.edge_url.removeprefix("http://")) as channel,
    ):
        yield mesh, channel


def soak(seconds: float, instances: Mapping[str, int] = INSTANCES) -> SoakResult:
    """Start a mesh, drive the traffic for `seconds` while sampling memory, stop the mesh."""
    warm_up, interval = warm_up_seconds(seconds), sample_interval(seconds)
    with soak_mesh(instances) as (mesh, channel):
        tokens = Tokens()
        scenario = Scenario(mesh.edge_url, prepare(mesh, tokens), tokens)
        wait_for(lambda: grpc_served(channel), "gRPC through the edge")
        kinds = scenario.kinds(channel)
        began = time.monotonic()
        with ExitStack() as stack:
            memory = stack.enter_context(MemorySamples(processes(mesh), interval))
            load = stack.enter_context(PacedLoad(kinds))
            progress(seconds)
        took = time.monotonic() - began
    after = [i for i, t in enumerate(memory.times) if t >= warm_up]
    times = [memory.times[i] for i in after]
    trends = {
        label: trend(times, [values[i] for i in after], values[0])
        for label, values in memory.rss.items()
    }
    return SoakResult(took, warm_up, kinds, load.outcomes, trends)


def progress(seconds: float) -> None:
    """Let the load run for `seconds`, saying how far it is every minute (pacing only)."""
    began = time.monotonic()
    while (left := seconds - (time.monotonic() - began)) > 0:
        time.sleep(min(60.0, left))
        if left > 60:
            print(f"   soak: {time.monotonic() - began:.0f} of {seconds:.0f} s", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=TITLE)
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS, help="default 600")
    args = parser.parse_args(argv)
    facts = facts_markdown()  # before the mesh starts: the load average is the machine's own
    load_before, started = load_average(), time.monotonic()
    with time_limit(int(args.seconds) + STARTUP_LIMIT_SECONDS, TITLE):
        result = soak(args.seconds)
    section = (
        f"## {TITLE}\n\n`{COMMAND}` — {args.seconds:.0f} s of traffic, "
        f"{time.monotonic() - started:.0f} s in all; load average 1/5/15 min before: "
        f"{load_before}, after: {load_average()}\n\n{result.markdown()}\n"
    )
    write_report(Path(__file__).stem, facts, [section])
    return 0 if not result.errors else 1


if __name__ == "__main__":
    sys.exit(main())
