"""gRPC SendMarketData (the seed's market.MarketDataService) with a stock grpcio.aio client,
closed loop, N calls in flight on one HTTP/2 connection: direct to analytics' gRPC port, to its
sidecar's inbound listener, and through the edge. Every call stores a tick (SQLite)."""

from __future__ import annotations

import asyncio
import sys
import time

import grpc

from bench.common import LoadResult, ms, percentile, running_mesh, table
from generated.grpc.market import MarketDataRequest, MarketDataResponse

TITLE = "gRPC SendMarketData calls/s"
COMMAND = "python -m bench.grpc_calls"
METHOD = "/market.MarketDataService/SendMarketData"
CONCURRENCY = (1, 16)
SECONDS = 2.0
WARM_UP_SECONDS = 0.5
# Serialized once: the client's CPU goes to the calls, not to building messages.
REQUESTS = [
    bytes(MarketDataRequest(asset_symbol="BENCH", price=100.0 + n % 7, timestamp=n))
    for n in range(1, 1001)
]


async def closed_loop(address: str, concurrency: int, seconds: float) -> LoadResult:
    async with grpc.aio.insecure_channel(address) as channel:
        send = channel.unary_unary(METHOD)  # bytes in, bytes out
        await asyncio.wait_for(channel.channel_ready(), 5)
        latencies: list[float] = []
        errors = 0
        deadline = time.perf_counter() + seconds

        async def worker(offset: int) -> None:
            nonlocal errors
            n = offset
            while time.perf_counter() < deadline:
                n += 1
                started = time.perf_counter()
                try:
                    reply = await send(REQUESTS[n % len(REQUESTS)], timeout=5)
                    ok = MarketDataResponse().parse(reply).success
                except grpc.aio.AioRpcError:
                    ok = False
                latencies.append(time.perf_counter() - started)
                errors += not ok

        began = time.perf_counter()
        await asyncio.gather(*(worker(k * 37) for k in range(concurrency)))
        took = time.perf_counter() - began
    latencies.sort()
    return LoadResult(
        "grpcio.aio",
        concurrency,
        took,
        len(latencies),
        errors,
        percentile(latencies, 50) * 1e3,
        percentile(latencies, 99) * 1e3,
    )


async def until_served(address: str, within: float = 15.0) -> None:
    """Until a call through `address` succeeds (the edge has a healthy gRPC host)."""
    deadline = time.monotonic() + within
    while True:
        result = await closed_loop(address, 1, 0.05)
        if result.requests > result.errors:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"no successful call through {address} in {within}s")
        await asyncio.sleep(0.05)


async def run(targets: dict[str, str]) -> dict[tuple[str, int], LoadResult]:
    for address in targets.values():
        await until_served(address)
        await closed_loop(address, max(CONCURRENCY), WARM_UP_SECONDS)
    results = {}
    for concurrency in CONCURRENCY:
        for label, address in targets.items():
            results[label, concurrency] = await closed_loop(address, concurrency, SECONDS)
    return results


def measure() -> str:
    with running_mesh({"analytics": 1}) as mesh:
        analytics = mesh.instances["analytics"][0]
        targets = {
            "direct (app)": analytics.app.grpc_address,
            "sidecar → app": analytics.instance.inbound_address,
            "edge → sidecar → app": mesh.edge_url.removeprefix("http://"),
        }
        results = asyncio.run(run(targets))
    rows = []
    for concurrency in CONCURRENCY:
        direct = results["direct (app)", concurrency]
        for label in targets:
            r = results[label, concurrency]
            rows.append(
                [
                    label,
                    concurrency,
                    f"{r.rps:.0f}",
                    f"{r.rps / direct.rps:.2f}",
                    ms(r.p50_ms),
                    ms(r.p99_ms),
                    r.errors,
                ]
            )
    header = ["path", "in flight", "calls/s", "÷ direct", "p50 ms", "p99 ms", "errors"]
    notes = (
        f"\ngrpcio {grpc.__version__} aio client, one channel (HTTP/2 connection) per path, "
        f"{SECONDS:.0f} s per row after a warm-up; the client runs on the same 2 cores. Each "
        "call is one tick stored by analytics (SQLite, WAL, synchronous=FULL).\n"
    )
    return table(header, rows) + notes


if __name__ == "__main__":
    from bench.common import main

    sys.exit(main(sys.modules[__name__]))
