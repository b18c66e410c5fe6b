"""Ticks/s over one client-streaming capsure.analytics.v1 StreamMarketData call (N ticks on one
stream) vs unary SendMarketData calls of the same contract (1 and 16 in flight), direct to
analytics' gRPC port and through edge → sidecar → app; and how many of the ticks analytics
actually stored, read back from its REST API (each run writes its own asset symbol).

Through the edge with a Developer's token (market data needs Developer or Admin); direct with
the x-forwarded-client-cert header trading's sidecar would have forwarded (the ingest admits
only trading and the edge), on an app listening on a loopback port (`private_apps=False`)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass
from uuid import uuid4

import grpc

from bench.common import compare, get, running_mesh, table
from bench.grpc_calls import DIRECT, EDGE, Target, targets, until_served
from generated.grpc.capsure.analytics.v1 import (
    SendMarketDataRequest,
    SendMarketDataResponse,
    StreamMarketDataRequest,
    StreamMarketDataResponse,
)

TITLE = "gRPC StreamMarketData ticks/s vs unary"
COMMAND = "python -m bench.grpc_stream"
SERVICE = "/capsure.analytics.v1.MarketDataService"
UNARY = f"{SERVICE}/SendMarketData"
STREAM = f"{SERVICE}/StreamMarketData"
STREAM_TICKS = 4000
UNARY_CONCURRENCY = (1, 16)
UNARY_SECONDS = 2.0
UNARY_TICKS_MAX = 10_000  # far more than 2 s of unary calls take here (~300/s)
DISTINCT_TICKS = 100
WARM_UP_TICKS = 300
STREAMED = "stream"
BASELINE = f"unary, {max(UNARY_CONCURRENCY)} in flight"  # the best unary rate, same path
FIRST_TIMESTAMP = 1_767_225_600_000  # 2026-01-01, Unix ms


@dataclass(frozen=True)
class Run:
    """One run on its own asset symbol: ticks the client sent, those analytics acknowledged
    (successful calls; a stream's `accepted`) and those its REST API counts afterwards."""

    mode: str
    path: str
    seconds: float
    sent: int
    acknowledged: int
    stored: int

    @property
    def sent_per_second(self) -> float:
        return self.sent / self.seconds

    @property
    def stored_per_second(self) -> float:
        return self.stored / self.seconds


def new_symbol() -> str:
    return "B" + uuid4().hex[:11].upper()  # the contract's pattern: [A-Z0-9]{1,12}


def ticks(
    symbol: str, count: int, message: type[SendMarketDataRequest | StreamMarketDataRequest]
) -> list[bytes]:
    """Serialized before timing: the client's CPU goes to sending, not to building messages.
    A cycle of DISTINCT_TICKS messages (betterproto serializes slowly); without source ids
    nothing is deduplicated, so every tick is stored. Quotes (quantity 0), as the seed sends."""
    cycle = [
        bytes(message(asset_symbol=symbol, price=100.0 + n % 7, timestamp=FIRST_TIMESTAMP + n))
        for n in range(min(count, DISTINCT_TICKS))
    ]
    return [cycle[n % len(cycle)] for n in range(count)]


def stored(rest_url: str, symbol: str) -> int:
    """How many ticks of `symbol` analytics counts (0 when it has none)."""
    status, body = get(f"{rest_url}/api/analytics/assets/{symbol}/stats", timeout=10)
    if status == 404:
        return 0
    if status != 200:
        raise RuntimeError(f"stats of {symbol}: HTTP {status} {body[:200]!r}")
    return int(json.loads(body)["count"])


async def unary(
    target: Target, symbol: str, concurrency: int, seconds: float
) -> tuple[float, int, int]:
    """Closed loop of SendMarketData for `seconds`: (seconds taken, calls, successful calls)."""
    requests = ticks(symbol, UNARY_TICKS_MAX, SendMarketDataRequest)
    sent = ok = 0
    async with target.grpcio_channel() as channel:
        send = channel.unary_unary(UNARY)
        await asyncio.wait_for(channel.channel_ready(), 5)
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal sent, ok
            while time.perf_counter() < deadline and sent < len(requests):
                tick, sent = requests[sent], sent + 1  # every call stores one tick
                try:
                    reply = await send(tick, timeout=5, metadata=target.metadata)
                except grpc.aio.AioRpcError:
                    continue
                ok += SendMarketDataResponse().parse(reply).success

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        took = time.perf_counter() - began
    return took, sent, ok


async def stream(target: Target, symbol: str, count: int) -> tuple[float, int]:
    """One StreamMarketData call of `count` ticks: (seconds to the answer, ticks accepted)."""
    requests = ticks(symbol, count, StreamMarketDataRequest)
    async with target.grpcio_channel() as channel:
        send = channel.stream_unary(STREAM)
        await asyncio.wait_for(channel.channel_ready(), 5)
        began = time.perf_counter()
        reply = await send(iter(requests), timeout=60, metadata=target.metadata)
        took = time.perf_counter() - began
    answer = StreamMarketDataResponse().parse(reply)
    return took, answer.accepted if answer.success else 0


async def one_run(mode: str, path: str, target: Target, rest_url: str) -> Run:
    symbol = new_symbol()
    concurrency = MODES[mode]
    if concurrency is None:
        seconds, acknowledged = await stream(target, symbol, STREAM_TICKS)
        sent = STREAM_TICKS
    else:
        seconds, sent, acknowledged = await unary(target, symbol, concurrency, UNARY_SECONDS)
    # The answer comes after the last write's commit (unary and stream alike): read now.
    return Run(mode, path, seconds, sent, acknowledged, stored(rest_url, symbol))


# Mode -> unary calls in flight (None: one stream).
MODES: dict[str, int | None] = {f"unary, {n} in flight": n for n in UNARY_CONCURRENCY}
MODES[STREAMED] = None


async def run(paths: dict[str, Target], rest_url: str) -> list[Run]:
    for target in paths.values():
        await until_served(target)
        await stream(target, new_symbol(), WARM_UP_TICKS)
    # Mode by mode, the paths back to back: a change of background load hits both alike.
    return [
        await one_run(mode, path, target, rest_url)
        for mode in MODES
        for path, target in paths.items()
    ]


def record(runs: list[Run]) -> None:
    """The stream vs unary (16 in flight) through the same path, and edge vs direct."""
    found = {(r.mode, r.path): r for r in runs}
    label = f"stream ({STREAM_TICKS} ticks, 1 call)"
    for path in (DIRECT, EDGE):
        streamed, unary_ = found[STREAMED, path], found[BASELINE, path]
        compare(TITLE, f"ticks sent/s, {path}", label, streamed.sent_per_second, BASELINE,
                unary_.sent_per_second, "ticks/s", higher_is_better=True)  # fmt: skip
        compare(TITLE, f"ticks persisted/s, {path}", label, streamed.stored_per_second,
                BASELINE, unary_.stored_per_second, "ticks/s", higher_is_better=True)  # fmt: skip
    for mode in MODES:
        edge, direct = found[mode, EDGE], found[mode, DIRECT]
        compare(TITLE, f"ticks sent/s, {mode}", EDGE, edge.sent_per_second, DIRECT,
                direct.sent_per_second, "ticks/s", higher_is_better=True)  # fmt: skip


def rows(runs: list[Run]) -> list[list[object]]:
    found = {(r.mode, r.path): r for r in runs}
    return [
        [r.path, r.mode, r.sent, r.acknowledged, r.stored, f"{r.seconds:.2f}",
         f"{r.sent_per_second:.0f}", f"{r.stored_per_second:.0f}",
         f"{r.sent_per_second / found[BASELINE, r.path].sent_per_second:.2f}",
         "yes" if r.stored == r.sent else f"**no** ({r.stored - r.sent:+d})"]
        for r in sorted(runs, key=lambda r: (r.path != DIRECT, list(MODES).index(r.mode)))
    ]  # fmt: skip


def measure() -> str:
    with running_mesh({"analytics": 1}, private_apps=False) as mesh:
        analytics = mesh.instances["analytics"][0]
        paths = {label: t for label, t in targets(mesh).items() if label in (DIRECT, EDGE)}
        runs = asyncio.run(run(paths, analytics.app.url))
    record(runs)
    header = ["path", "mode", "ticks sent", "acknowledged", "stored", "s", "sent/s",
              "stored/s", f"÷ {BASELINE} (sent/s)", "stored == sent"]  # fmt: skip
    notes = (
        f"\ncapsure.analytics.v1 contract, grpcio {grpc.__version__} aio client (bytes in, bytes "
        f"out), one channel per run. Unary: closed loop for {UNARY_SECONDS:.0f} s, one tick per "
        f"call; stream: one call of {STREAM_TICKS} ticks, timed to its answer (analytics writes "
        f"a stream's ticks in transactions of 200, unary ones one by one; SQLite, WAL, "
        "synchronous=FULL). The baseline is unary at 16 in flight through the same path. "
        "Stored: the asset's `count` from GET /api/analytics/assets/{symbol}/stats (direct to "
        "the app) right after the answer, one new symbol per run; stored/s is that count over "
        "the same seconds. Ticks are quotes without source ids (none deduplicated). Through "
        "the edge with a Developer's token; direct as if trading's sidecar had forwarded the "
        "call (its x-forwarded-client-cert header), to the app on a loopback port "
        "(`private_apps=False`: sidecar → app is TCP here, not the default Unix socket).\n"
    )
    return table(header, rows(runs)) + notes


if __name__ == "__main__":
    from bench.common import main

    sys.exit(main(sys.modules[__name__]))
