"""Market data at feed rates (issue 13 item 3), in one run:

1. Decoding a 1,000-tick batch: betterproto vs services/common/tick_batch_wire (in process).
2. StreamTickBatches: ticks/s stored (stored = sent, counted by analytics' REST stats), direct
   to analytics' gRPC port and through edge → sidecar → app, 1 and 2 streams at once, with the
   CPU each process spent per tick; the seed-era StreamMarketData (one message per tick) on
   the same paths as the baseline.
3. Tick-to-stats latency at 1,000 ticks/s: one tick per batch on a stream through the edge,
   GET .../stats polled through the edge; each tick's latency is from its send to the first
   answer counting it (an upper bound: the poll's own time is in it).
4. Trading: POST /api/trading/market-data (direct to its app, wrk, Developer token) → its
   outbox → StreamTickBatches → analytics (notification consuming the same ticks): ticks
   accepted/s, and stored/s until analytics counts every accepted tick; flat out (wrk) and
   paced at fixed feed rates (the lag after the last POST says whether the relay keeps up).

Direct calls carry the x-forwarded-client-cert header trading's sidecar would have set (the
ingest admits only trading and the edge); apps listen on loopback ports
(`private_apps=False`), so sidecar → app is TCP here, not the default Unix socket. The load
average is printed with every section (other work may share the 2 cores)."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import httpx

from bench.common import (
    bearer,
    compare,
    cpu_seconds,
    get,
    load_average,
    ms,
    percentile,
    running_mesh,
    table,
    wrk_path,
)
from bench.grpc_calls import DIRECT, EDGE, Target, targets, until_served
from bench.postgres import POSTGRES, drop_database, postgres_unavailable
from generated.grpc.capsure.analytics.v1 import (
    StreamMarketDataRequest,
    StreamTickBatchesRequest,
    Tick,
)
from mesh.runner import Mesh
from services.common.tick_batch_wire import (
    MAX_TICKS_PER_BATCH,
    decode_tick_batch,
    encode_tick_batch,
)
from services.common.time_ordered_ids import time_ordered_ids
from services.trading.service_layer.topics import ANALYTICS_TOPIC

TITLE = "Market data ingest: StreamTickBatches, trading's outbox, tick-to-stats latency"
COMMAND = "python -m bench.grpc_stream"
LIMIT_SECONDS = 600
SERVICE = "/capsure.analytics.v1.MarketDataService"
BATCHES = f"{SERVICE}/StreamTickBatches"
ONE_BY_ONE = f"{SERVICE}/StreamMarketData"
BATCH_TICKS = MAX_TICKS_PER_BATCH
BATCH_RUN_TICKS = 200_000  # per run: ~4 s at the 50,000/s target
STREAMS = (1, 2)
ONE_BY_ONE_TICKS = 4_000  # the seed-era stream: ~2,000/s through the edge
LATENCY_RATE = 1_000  # ticks/s
LATENCY_SECONDS = 5.0
STATS_POLL_SECONDS = 0.002
POST_SECONDS = 5.0
POST_CONNECTIONS = 16
# POST /api/trading/market-data/batches: the contract's largest batch, on fewer connections
# (each request is a 1,000-tick transaction; more would only queue inside trading).
POST_BATCH_TICKS = 1_000
POST_BATCH_CONNECTIONS = 4
# The relay's outbox batch before (the old default) and after (the new one), side by side.
DRAIN_BATCH_SIZES = (500, 5_000)
DRAIN_TIMEOUT_SECONDS = 120.0
FIRST_TIMESTAMP = 1_767_225_600_000  # 2026-01-01, Unix ms: in the past, never "from the future"
TARGET_STORED_PER_SECOND = 50_000
TARGET_TRADING_PER_SECOND = 20_000


def new_symbol() -> str:
    return "B" + uuid4().hex[:11].upper()  # the contract's pattern: [A-Z0-9]{1,12}


def stored(rest_url: str, symbol: str) -> int:
    """How many ticks of `symbol` analytics counts (0 when it has none)."""
    status, body = get(f"{rest_url}/api/analytics/assets/{symbol}/stats", timeout=10)
    if status == 404:
        return 0
    if status != 200:
        raise RuntimeError(f"stats of {symbol}: HTTP {status} {body[:200]!r}")
    return int(json.loads(body)["count"])


# --- 1. decoding -----------------------------------------------------------------------------


def decoding_rows() -> list[list[object]]:
    ticks = [("BTC-USD", 100.0 + n % 7, FIRST_TIMESTAMP + n, f"src-{n}", 0.5) for n in range(1000)]
    data = encode_tick_batch(ticks)

    def best_of(repeats: int, work) -> float:
        best = float("inf")
        for _ in range(repeats):
            began = time.perf_counter()
            work()
            best = min(best, time.perf_counter() - began)
        return best

    timed = {
        "decode, betterproto": best_of(3, lambda: StreamTickBatchesRequest().parse(data)),
        "decode, tick_batch_wire": best_of(20, lambda: decode_tick_batch(data, max_ticks=1000)),
        "build + encode, betterproto": best_of(
            3, lambda: bytes(StreamTickBatchesRequest(ticks=[Tick(*t) for t in ticks]))
        ),
        "encode, tick_batch_wire": best_of(20, lambda: encode_tick_batch(ticks)),
    }
    return [[what, f"{took * 1e3:.2f}", f"{1000 / took:,.0f}"] for what, took in timed.items()]


# --- 2. stored ticks/s ---------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    mode: str
    path: str
    streams: int
    seconds: float
    sent: int
    stored: int
    cpu_us_per_tick: dict[str, float]  # process -> CPU µs per tick sent
    load: str

    @property
    def stored_per_second(self) -> float:
        return self.stored / self.seconds


def batch_messages(symbol: str, count: int, first: int) -> list[bytes]:
    """Encoded before timing: the client's CPU goes to sending. Every tick has its own
    source_id (analytics dedupes by it, as it does trading's ticks)."""
    ticks = [
        (symbol, 100.0 + n % 7, FIRST_TIMESTAMP + n, f"{symbol}-{n}", 0.0)
        for n in range(first, first + count)
    ]
    return [
        encode_tick_batch(ticks[start : start + BATCH_TICKS])
        for start in range(0, len(ticks), BATCH_TICKS)
    ]


def one_by_one_messages(symbol: str, count: int) -> list[bytes]:
    cycle = [
        bytes(
            StreamMarketDataRequest(
                asset_symbol=symbol, price=100.0 + n % 7, timestamp=FIRST_TIMESTAMP + n
            )
        )
        for n in range(100)
    ]
    return [cycle[n % len(cycle)] for n in range(count)]


async def send_stream(target: Target, path: str, messages: Sequence[bytes]) -> bytes:
    async with target.grpcio_channel() as channel:
        call = channel.stream_unary(path)
        await asyncio.wait_for(channel.channel_ready(), 5)
        return await call(iter(messages), timeout=120, metadata=target.metadata)


def processes(mesh: Mesh) -> dict[str, int]:
    analytics = mesh.instances["analytics"][0]
    assert mesh.edge is not None
    return {"analytics": analytics.app.pid, "sidecar": analytics.sidecar.pid, "edge": mesh.edge.pid}


async def measured(mesh: Mesh, mode: str, path: str, target: Target, streams: int) -> Run:
    rest_url = mesh.instances["analytics"][0].app.url
    symbol = new_symbol()
    if mode == "batches":
        share = BATCH_RUN_TICKS // streams
        work = [batch_messages(symbol, share, k * share) for k in range(streams)]
        method, sent = BATCHES, share * streams
    else:
        work, method, sent = (
            [one_by_one_messages(symbol, ONE_BY_ONE_TICKS)],
            ONE_BY_ONE,
            ONE_BY_ONE_TICKS,
        )
    pids = processes(mesh)
    cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    began = time.perf_counter()
    await asyncio.gather(*(send_stream(target, method, messages) for messages in work))
    took = time.perf_counter() - began
    cpu = {name: (cpu_seconds(pid) - cpu_before[name]) / sent * 1e6 for name, pid in pids.items()}
    return Run(mode, path, streams, took, sent, stored(rest_url, symbol), cpu, load_average())


Modes = tuple[tuple[str, tuple[int, ...]], ...]  # (mode, stream counts)
ALL_MODES: Modes = (("batches", STREAMS), ("one by one", (1,)))


async def stored_runs(mesh: Mesh, paths: dict[str, Target], modes: Modes = ALL_MODES) -> list[Run]:
    for target in paths.values():
        await until_served(target)
        await send_stream(target, BATCHES, batch_messages(new_symbol(), 5_000, 0))  # warm-up
    runs = []
    # Interleaved: path within streams within mode, so background load hits each alike.
    for mode, counts in modes:
        for streams in counts:
            for path, target in paths.items():
                runs.append(await measured(mesh, mode, path, target, streams))
    return runs


# The columns of stored_rows(...), on SQLite and on PostgreSQL alike.
STORED_COLUMNS = [
    "path",
    "RPC",
    "streams",
    "sent",
    "stored",
    "stored == sent",
    "s",
    "stored/s",
    "CPU µs/tick: analytics / sidecar / edge",
    "load average",
]


def stored_rows(runs: list[Run]) -> list[list[object]]:
    return [
        [
            r.path,
            "StreamTickBatches" if r.mode == "batches" else "StreamMarketData (seed-era)",
            r.streams,
            r.sent,
            r.stored,
            "yes" if r.stored == r.sent else f"**no** ({r.stored - r.sent:+d})",
            f"{r.seconds:.2f}",
            f"{r.stored_per_second:,.0f}",
            " / ".join(f"{r.cpu_us_per_tick[p]:.1f}" for p in ("analytics", "sidecar", "edge")),
            r.load,
        ]
        for r in runs
    ]


def postgres_runs() -> tuple[list[Run], str]:
    """StreamTickBatches (1 stream) with analytics on a PostgreSQL database of its own: one
    INSERT ... SELECT FROM unnest(...) per write. Skipped, with the reason, without a server."""
    if reason := postgres_unavailable():
        return [], f"Skipped: PostgreSQL at {POSTGRES} does not answer ({reason})."
    name = f"capsure_bench_{uuid4().hex[:12]}"
    try:
        database = {"ANALYTICS_DATABASE_URL": f"{POSTGRES}/{name}"}
        with running_mesh({"analytics": 1}, app_env=database, private_apps=False) as mesh:
            paths = {label: t for label, t in targets(mesh).items() if label in (DIRECT, EDGE)}
            runs = asyncio.run(stored_runs(mesh, paths, (("batches", (1,)),)))
    finally:
        asyncio.run(drop_database(name))
    return runs, (
        f"Analytics on PostgreSQL 15 (`{POSTGRES}`, a temporary database `{name}` dropped "
        "afterwards; synchronous_commit as configured; the PostgreSQL server's own CPU is not "
        "in the analytics column), otherwise as the SQLite table above."
    )


# --- 3. tick-to-stats latency ---------------------------------------------------------------


async def latency(mesh: Mesh, target: Target) -> tuple[list[float], int, int, str]:
    """(latencies in s, ticks sent, stats polls, load average)."""
    symbol = new_symbol()
    count = int(LATENCY_RATE * LATENCY_SECONDS)
    messages = batch_messages(symbol, count, 0)
    singles = [
        encode_tick_batch([t]) for t in decode_tick_batch(b"".join(messages), max_ticks=count)
    ]
    sent_at: list[float] = []
    done = asyncio.Event()

    async def feed() -> AsyncIterator[bytes]:
        began = time.perf_counter()
        for n, message in enumerate(singles):
            delay = began + n / LATENCY_RATE - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent_at.append(time.perf_counter())
            yield message

    latencies: list[float] = []
    polls = 0

    async def poll() -> None:
        nonlocal polls
        seen = 0
        url = f"{mesh.edge_url}/api/analytics/assets/{symbol}/stats"
        async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
            while seen < count:
                reply = await client.get(url)
                now = time.perf_counter()
                polls += 1
                if reply.status_code == 200:
                    counted = reply.json()["count"]
                    latencies.extend(
                        now - sent_at[n] for n in range(seen, min(counted, len(sent_at)))
                    )
                    seen = max(seen, counted)
                if done.is_set() and seen < count and now - sent_at[-1] > 10:
                    return  # a tick never arrived: reported as missing
                await asyncio.sleep(STATS_POLL_SECONDS)

    async def send() -> None:
        async with target.grpcio_channel() as channel:
            call = channel.stream_unary(BATCHES)
            await call(feed(), timeout=60, metadata=target.metadata)
        done.set()

    await asyncio.gather(send(), poll())
    return sorted(latencies), count, polls, load_average()


# --- 4. trading -------------------------------------------------------------------------------

POST_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "{authorization}"
wrk.body = '{body}'
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, summary.duration))
end
"""


@dataclass(frozen=True)
class TradingRun:
    path: str
    accepted: int  # ticks
    post_seconds: float
    stored: int
    to_all_stored_seconds: float  # from the first POST until analytics counted them all
    lag_seconds: float  # after the last POST
    trading_cpu_us_per_tick: float
    analytics_cpu_us_per_tick: float
    notification_cpu_us_per_tick: float
    load: str


def post_body(symbol: str, batch_ticks: int) -> tuple[str, str]:
    """(path, JSON body): one tick, or a batch of `batch_ticks` ticks (0: the one-tick POST)."""
    tick = {"assetSymbol": symbol, "price": 101.5, "timestamp": FIRST_TIMESTAMP}
    if not batch_ticks:
        return "/api/trading/market-data", json.dumps(tick)
    return "/api/trading/market-data/batches", json.dumps({"ticks": [tick] * batch_ticks})


# The processes a tick passes through from trading's POST, whose CPU each run reports per tick.
TICK_APPS = ("trading", "analytics", "notification")


def tick_app_cpu(mesh: Mesh) -> dict[str, float]:
    return {name: cpu_seconds(mesh.instances[name][0].app.pid) for name in TICK_APPS}


def cpu_us_per_tick(mesh: Mesh, before: dict[str, float], ticks: int) -> dict[str, float]:
    after = tick_app_cpu(mesh)
    return {name: (after[name] - before[name]) / max(ticks, 1) * 1e6 for name in TICK_APPS}


def counted_by(analytics_url: str, symbol: str, accepted: int, deadline: float, poll: float) -> int:
    """Analytics' count of the symbol once it reaches `accepted`, or at `deadline`."""
    count = 0
    while time.perf_counter() < deadline:
        count = stored(analytics_url, symbol)
        if count >= accepted:
            break
        time.sleep(poll)
    return count


def trading_run(mesh: Mesh, batch_ticks: int = 0) -> TradingRun:
    trading, analytics = mesh.instances["trading"][0].app, mesh.instances["analytics"][0].app
    symbol = new_symbol()
    authorization = bearer(uuid4(), ("Developer",))["Authorization"]
    path, body = post_body(symbol, batch_ticks)
    connections = POST_BATCH_CONNECTIONS if batch_ticks else POST_CONNECTIONS
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "post.lua"
        script.write_text(POST_SCRIPT.format(authorization=authorization, body=body))
        cpu = tick_app_cpu(mesh)
        began = time.perf_counter()
        output = subprocess.run(
            [
                wrk_path() or "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{POST_SECONDS:.0f}s",
                "-s",
                str(script),
                f"{trading.url}{path}",
            ],
            capture_output=True,
            text=True,
            timeout=POST_SECONDS + 60,
            check=True,
        ).stdout
        posted = time.perf_counter()
    requests, errors, _ = (int(v) for v in output.split("RESULT", 1)[1].split())
    accepted = (requests - errors) * max(batch_ticks, 1)
    # Batches: gently, as the drains (each answer aggregates up to ~200,000 ticks).
    poll_seconds = DRAIN_POLL_SECONDS if batch_ticks else 0.05
    deadline = posted + DRAIN_TIMEOUT_SECONDS
    count = counted_by(analytics.url, symbol, accepted, deadline, poll_seconds)
    finished = time.perf_counter()
    per_tick = cpu_us_per_tick(mesh, cpu, count)
    return TradingRun(
        path,
        accepted,
        posted - began,
        count,
        finished - began,
        finished - posted,
        per_tick["trading"],
        per_tick["analytics"],
        per_tick["notification"],
        load_average(),
    )


# A feed at the target rate, paced (open loop: each POST leaves at its scheduled time whatever
# the answers before it), instead of wrk's flat out: does the relay keep up while POSTs arrive?
PACED_RATES = (TARGET_TRADING_PER_SECOND, 25_000, 30_000)
PACED_SECONDS = 10.0
PACED_CONNECTIONS = 8


@dataclass(frozen=True)
class PacedRun:
    rate: int  # ticks/s offered, in POSTs of POST_BATCH_TICKS
    accepted: int  # ticks (201s)
    late_posts: int  # POSTs that left more than 50 ms behind their schedule
    stored: int
    to_all_stored_seconds: float  # from the first POST until analytics counted them all
    lag_seconds: float  # after the last POST's scheduled time
    trading_cpu_us_per_tick: float
    analytics_cpu_us_per_tick: float
    notification_cpu_us_per_tick: float
    load: str


async def paced_posts(
    url: str, headers: dict[str, str], body: bytes, rate: int
) -> list[tuple[bool, bool]]:
    """POSTs of POST_BATCH_TICKS at `rate` ticks/s for PACED_SECONDS: (accepted, late) each."""
    interval = POST_BATCH_TICKS / rate
    loop = asyncio.get_running_loop()
    limits = httpx.Limits(max_connections=PACED_CONNECTIONS)
    async with httpx.AsyncClient(timeout=30, limits=limits, trust_env=False) as client:
        start = loop.time()

        async def post(number: int) -> tuple[bool, bool]:
            due = start + number * interval
            await asyncio.sleep(max(0.0, due - loop.time()))
            late = loop.time() - due > 0.05
            response = await client.post(url, content=body, headers=headers)
            return response.status_code == 201, late

        return await asyncio.gather(*(post(n) for n in range(int(PACED_SECONDS / interval))))


def paced_trading_run(mesh: Mesh, rate: int) -> PacedRun:
    trading, analytics = mesh.instances["trading"][0].app, mesh.instances["analytics"][0].app
    symbol = new_symbol()
    path, body = post_body(symbol, POST_BATCH_TICKS)
    headers = {
        **bearer(uuid4(), ("Developer",)),
        "Content-Type": "application/json",
    }
    cpu = tick_app_cpu(mesh)
    began = time.perf_counter()
    answers = asyncio.run(paced_posts(f"{trading.url}{path}", headers, body.encode(), rate))
    accepted = sum(ok for ok, _ in answers) * POST_BATCH_TICKS
    late = sum(late for _, late in answers)
    scheduled_end = began + PACED_SECONDS
    # Gently: each answer aggregates the run's ticks (up to 300,000), on analytics' CPU.
    deadline = scheduled_end + DRAIN_TIMEOUT_SECONDS
    count = counted_by(analytics.url, symbol, accepted, deadline, DRAIN_POLL_SECONDS)
    finished = time.perf_counter()
    per_tick = cpu_us_per_tick(mesh, cpu, count)
    return PacedRun(
        rate,
        accepted,
        late,
        count,
        finished - began,
        finished - scheduled_end,
        per_tick["trading"],
        per_tick["analytics"],
        per_tick["notification"],
        load_average(),
    )


DRAIN_TICKS = 100_000
# Each stats answer aggregates the asset's ticks so far (up to 100,000): polled gently, so the
# count costs analytics little of the CPU being measured.
DRAIN_POLL_SECONDS = 0.25


@dataclass(frozen=True)
class DrainRun:
    batch_size: int  # TRADING_ANALYTICS_BATCH_SIZE
    ticks: int
    seconds: float  # from the commit of the queued messages until analytics counts them all
    stored: int
    relay_cpu_us_per_tick: float  # trading's process
    analytics_cpu_us_per_tick: float
    load: str


def drain_run(mesh: Mesh, batch_size: int) -> DrainRun:
    """Trading's relay alone: DRAIN_TICKS analytics messages put into its outbox in one
    transaction (one per tick, as the one-tick POST queues them, payload and all), then timed
    until analytics counts them. The relay polls every 0.5 s (TRADING_OUTBOX_POLL_SECONDS):
    that wait is in."""
    trading, analytics = mesh.instances["trading"][0].app, mesh.instances["analytics"][0].app
    [database] = mesh.workdir.rglob("trading.sqlite3")
    symbol = new_symbol()
    now = datetime.now(UTC).isoformat(" ")
    new_id = time_ordered_ids()  # as trading makes tick ids (its source_ids at analytics)
    rows = [
        (
            ANALYTICS_TOPIC,
            json.dumps(
                {
                    "id": str(new_id()),
                    "assetSymbol": symbol,
                    "price": 100.0 + n % 7,
                    "timestamp": FIRST_TIMESTAMP + n,
                    "quantity": 0.0,
                },
                separators=(",", ":"),
            ),
            now,
            now,
        )
        for n in range(DRAIN_TICKS)
    ]
    cpu = {
        name: cpu_seconds(app.pid) for name, app in (("trading", trading), ("analytics", analytics))
    }
    with sqlite3.connect(database, timeout=30, isolation_level=None) as db:
        db.execute("BEGIN IMMEDIATE")
        db.executemany(
            "INSERT INTO outbox_message (topic, payload, created_at, attempts, next_attempt_at) "
            "VALUES (?, ?, ?, 0, ?)",
            rows,
        )
        db.execute("COMMIT")
    began = time.perf_counter()
    count = 0
    while time.perf_counter() - began < DRAIN_TIMEOUT_SECONDS:
        count = stored(analytics.url, symbol)
        if count >= DRAIN_TICKS:
            break
        time.sleep(DRAIN_POLL_SECONDS)
    took = time.perf_counter() - began
    used = {
        name: cpu_seconds(app.pid) - cpu[name]
        for name, app in (("trading", trading), ("analytics", analytics))
    }
    return DrainRun(
        batch_size,
        DRAIN_TICKS,
        took,
        count,
        used["trading"] / DRAIN_TICKS * 1e6,
        used["analytics"] / DRAIN_TICKS * 1e6,
        load_average(),
    )


# --- the report ------------------------------------------------------------------------------


def measure() -> str:
    sections = []
    sections.append(
        "### Decoding and encoding one batch of 1,000 ticks (in process)\n\n"
        + table(["what", "ms per batch (= µs per tick)", "ticks/s"], decoding_rows())
    )
    with running_mesh({"analytics": 1}, private_apps=False) as mesh:
        paths = {label: t for label, t in targets(mesh).items() if label in (DIRECT, EDGE)}
        runs = asyncio.run(stored_runs(mesh, paths))
        lat, sent, polls, lat_load = asyncio.run(latency(mesh, paths[EDGE]))
    by = {(r.mode, r.path, r.streams): r for r in runs}
    for path in paths:
        best = max(
            (r for r in runs if r.mode == "batches" and r.path == path),
            key=lambda r: r.stored_per_second,
        )
        compare(
            TITLE,
            f"ticks stored/s, {path}",
            f"StreamTickBatches, {best.streams} stream(s)",
            best.stored_per_second,
            "StreamMarketData (seed-era)",
            by["one by one", path, 1].stored_per_second,
            "ticks/s",
            higher_is_better=True,
        )
    edge_best = max(r.stored_per_second for r in runs if r.mode == "batches" and r.path == EDGE)
    compare(
        TITLE,
        "ticks stored/s through the edge",
        "StreamTickBatches",
        edge_best,
        "target",
        TARGET_STORED_PER_SECOND,
        "ticks/s",
        higher_is_better=True,
    )
    sections.append(
        "### Ticks stored/s (stored = sent, counted by analytics)\n\n"
        + table(
            STORED_COLUMNS,
            stored_rows(runs),
        )
        + f"\n{BATCH_RUN_TICKS:,} ticks per StreamTickBatches run in batches of {BATCH_TICKS} "
        f"(each its own source_id), split over the streams (one grpcio.aio channel each); "
        f"{ONE_BY_ONE_TICKS:,} ticks on one StreamMarketData call (one message per tick, no "
        "source_id) as the seed-era baseline. Timed to the answer, which comes after the last "
        "batch's commit; stored: the asset's `count` from GET .../stats right after. CPU per "
        "tick from /proc/<pid>/stat (utime + stime) over the run. Target through the edge: "
        f"≥ {TARGET_STORED_PER_SECOND:,}/s.\n"
    )
    postgres, note = postgres_runs()
    sections.append(
        "### Ticks stored/s on PostgreSQL\n\n"
        + (
            table(
                STORED_COLUMNS,
                stored_rows(postgres),
            )
            if postgres
            else ""
        )
        + f"\n{note}\n"
    )
    missing = sent - len(lat)
    sections.append(
        "### Tick-to-stats latency at 1,000 ticks/s (through the edge)\n\n"
        + table(
            ["ticks sent", "counted", "p50 ms", "p99 ms", "max ms", "stats polls", "load average"],
            [
                [
                    sent,
                    len(lat),
                    ms(percentile(lat, 50) * 1e3),
                    ms(percentile(lat, 99) * 1e3),
                    ms(lat[-1] * 1e3),
                    polls,
                    lat_load,
                ]
            ],
        )
        + f"\nOne StreamTickBatches stream through the edge, one tick per batch every "
        f"{1000 / LATENCY_RATE:g} ms for {LATENCY_SECONDS:g} s (each batch one SQLite "
        "transaction, synchronous=FULL); GET /api/analytics/assets/{symbol}/stats through the "
        f"edge every {STATS_POLL_SECONDS * 1e3:g} ms after the previous answer. A tick's latency: "
        "from handing it to the stream to the first answer whose count includes it."
        + (f" **{missing} ticks never counted.**" if missing else "")
        + "\n"
    )
    trading_runs, paced, drains = trading_runs_and_drains()
    best_drain = max(d.stored / d.seconds for d in drains if d.batch_size == DRAIN_BATCH_SIZES[-1])
    compare(
        TITLE,
        "trading's outbox → analytics (relay alone), ticks stored/s",
        "measured",
        best_drain,
        "target",
        TARGET_TRADING_PER_SECOND,
        "ticks/s",
        higher_is_better=True,
    )
    for run in trading_runs:
        compare(
            TITLE,
            f"trading POST {run.path} → outbox → analytics, ticks stored/s",
            "measured",
            run.stored / run.to_all_stored_seconds,
            "target",
            TARGET_TRADING_PER_SECOND,
            "ticks/s",
            higher_is_better=True,
        )
    for run in paced:
        compare(
            TITLE,
            f"trading POST .../batches paced at {run.rate:,}/s → outbox → analytics, "
            "ticks stored/s",
            "measured",
            run.stored / run.to_all_stored_seconds,
            "target",
            TARGET_TRADING_PER_SECOND,
            "ticks/s",
            higher_is_better=True,
        )
    sections.append(
        "### Trading: POST → outbox → StreamTickBatches → analytics\n\n"
        + table(
            [
                "POST",
                "ticks accepted",
                "POST s",
                "accepted ticks/s",
                "stored",
                "s to all stored",
                "stored/s end to end",
                "lag after the last POST s",
                "CPU µs/tick: trading / analytics / notification",
                "load average",
            ],
            [
                [
                    run.path,
                    run.accepted,
                    f"{run.post_seconds:.2f}",
                    f"{run.accepted / run.post_seconds:,.0f}",
                    run.stored,
                    f"{run.to_all_stored_seconds:.2f}",
                    f"{run.stored / run.to_all_stored_seconds:,.0f}",
                    f"{run.lag_seconds:.2f}",
                    f"{run.trading_cpu_us_per_tick:.1f} / {run.analytics_cpu_us_per_tick:.1f}"
                    f" / {run.notification_cpu_us_per_tick:.1f}",
                    run.load,
                ]
                for run in trading_runs
            ],
        )
        + f"\nwrk for {POST_SECONDS:g} s direct to trading's app with a Developer's token: one "
        f"tick per POST on {POST_CONNECTIONS} connections, or {POST_BATCH_TICKS:,} ticks per "
        f"POST .../batches on {POST_BATCH_CONNECTIONS}; trading keeps the ticks with their "
        "outbox messages (analytics and notification; a batch is one bundle per consumer) in one "
        "SQLite transaction, and its relay streams what the outbox holds (≤ "
        "TRADING_ANALYTICS_BATCH_SIZE ticks per stream) to analytics through trading's sidecar "
        "and analytics' sidecar, and posts it to notification (its price alerts; 1,000 ticks a "
        "call) through notification's. Stored/s end to end: ticks analytics "
        "counts over the time from the first POST until it counts them all; CPU per tick stored, "
        f"over the same time. Target: ≥ {TARGET_TRADING_PER_SECOND:,}/s.\n\n"
        + table(
            [
                "ticks/s offered",
                "accepted",
                "POSTs late (> 50 ms)",
                "stored",
                "s to all stored",
                "stored/s end to end",
                "lag after the last POST s",
                "CPU µs/tick: trading / analytics / notification",
                "load average",
            ],
            [
                [
                    f"{run.rate:,}",
                    run.accepted,
                    run.late_posts,
                    run.stored,
                    f"{run.to_all_stored_seconds:.2f}",
                    f"{run.stored / run.to_all_stored_seconds:,.0f}",
                    f"{run.lag_seconds:.2f}",
                    f"{run.trading_cpu_us_per_tick:.1f} / {run.analytics_cpu_us_per_tick:.1f}"
                    f" / {run.notification_cpu_us_per_tick:.1f}",
                    run.load,
                ]
                for run in paced
            ],
        )
        + f"\nA feed at a fixed rate instead of flat out: {POST_BATCH_TICKS:,}-tick POSTs sent "
        f"on schedule for {PACED_SECONDS:g} s (open loop, ≤ {PACED_CONNECTIONS} connections, "
        "httpx); the lag is from the last POST's scheduled time until analytics counts every "
        f"tick (polled every {DRAIN_POLL_SECONDS:g} s): a relay that keeps up stays well under a "
        "second.\n\n"
        + table(
            [
                "TRADING_ANALYTICS_BATCH_SIZE",
                "outbox messages",
                "s until all stored",
                "stored",
                "stored/s",
                "CPU µs/tick: trading / analytics",
                "load average",
            ],
            [
                [
                    f"{d.batch_size:,}",
                    d.ticks,
                    f"{d.seconds:.2f}",
                    d.stored,
                    f"{d.stored / d.seconds:,.0f}",
                    f"{d.relay_cpu_us_per_tick:.1f} / {d.analytics_cpu_us_per_tick:.1f}",
                    d.load,
                ]
                for d in drains
            ],
        )
        + f"\nThe relay alone: {DRAIN_TICKS:,} analytics messages written into trading's outbox "
        "in one transaction, one message per tick (as the one-tick POST queues them), then timed "
        "until analytics counts them all (the relay's next poll, ≤ 0.5 s, included); it streams "
        "them in outbox batches of TRADING_ANALYTICS_BATCH_SIZE (500 was the default before, "
        "5,000 now) through both sidecars, one mesh per size, two drains each.\n"
    )
    return "\n".join(sections)


def trading_runs_and_drains() -> tuple[list[TradingRun], list[PacedRun], list[DrainRun]]:
    """POSTs (one tick, then batches; flat out, then paced) on the default relay, and drains
    at every batch size."""
    trading_runs: list[TradingRun] = []
    paced: list[PacedRun] = []
    drains: list[DrainRun] = []
    for size in DRAIN_BATCH_SIZES:
        env = {"TRADING_ANALYTICS_BATCH_SIZE": str(size)}
        # Notification too: it consumes every tick (price alerts), as in the platform.
        topology = {"trading": 1, "analytics": 1, "notification": 1}
        with running_mesh(topology, env, private_apps=False) as mesh:
            wait_for_trading(mesh)
            if size == DRAIN_BATCH_SIZES[-1]:
                trading_runs += [trading_run(mesh), trading_run(mesh, POST_BATCH_TICKS)]
                paced += [paced_trading_run(mesh, rate) for rate in PACED_RATES]
            drains += [drain_run(mesh, size) for _ in range(2)]
    return trading_runs, paced, drains


def wait_for_trading(mesh: Mesh) -> None:
    """Until a POST is accepted (trading's dependencies are up)."""
    trading = mesh.instances["trading"][0].app
    headers = bearer(uuid4(), ("Developer",))
    body = {"assetSymbol": "WARM", "price": 1.0, "timestamp": FIRST_TIMESTAMP}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if (
                httpx.post(
                    f"{trading.url}/api/trading/market-data",
                    json=body,
                    headers=headers,
                    timeout=5,
                    trust_env=False,
                ).status_code
                == 201
            ):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError("trading took no POST within 30 s")


if __name__ == "__main__":
    from bench.common import main

    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main(sys.modules[__name__]))
