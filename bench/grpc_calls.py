"""gRPC SendMarketData (the seed's market.MarketDataService), closed loop, N calls in flight on
one HTTP/2 connection: direct to analytics' gRPC port, to its sidecar's inbound listener, and
through the edge; with two clients, interleaved: a stock grpcio.aio client (the baseline) and
the generated betterproto stub on a grpclib Channel (the stack trading uses). Every call stores
a tick (SQLite).

Each path is called as the mesh admits it: the edge with a Developer's token (market data needs
Developer or Admin); the sidecar over mTLS with a certificate of the edge (the node agent's,
for this client: the edge is the one caller of analytics in this partial mesh); direct with
the x-forwarded-client-cert header trading's sidecar would have forwarded (the ingest admits
only trading and the edge). "Direct" needs the app on a loopback
port (`private_apps=False`), so sidecar -> app is TCP here, not the default's Unix socket."""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import grpc
import grpclib
from betterproto import __version__ as betterproto_version
from grpclib.client import Channel
from grpclib.exceptions import GRPCError, ProtocolError, StreamTerminatedError

from bench.bare_grpc_ingest import running_bare_grpc_ingest
from bench.common import LoadResult, compare, ms, percentile, running_mesh, table
from bench.mesh_clients import (
    Metadata,
    forwarded_from,
    grpc_client_context,
    grpcio_credentials,
    market_data_token,
    workload_identity,
)
from generated.grpc.market import MarketDataRequest, MarketDataResponse, MarketDataServiceStub
from mesh.runner import Mesh
from services.common.workload_identity import EDGE as EDGE_ID

TITLE = "gRPC SendMarketData calls/s"
COMMAND = "python -m bench.grpc_calls"
METHOD = "/market.MarketDataService/SendMarketData"
CONCURRENCY = (1, 16)
SECONDS = 2.0
WARM_UP_SECONDS = 0.5
DIRECT = "direct (app)"
SIDECAR = "sidecar → app"
EDGE = "edge → sidecar → app"
FLOOR = "bare grpcio server (floor)"
CALLER = "trading"  # a service analytics' ingest admits (with the edge)
GRPCIO = "grpcio.aio"
GRPCLIB = "grpclib + betterproto"
MESSAGES = [
    MarketDataRequest(asset_symbol="BENCH", price=100.0 + n % 7, timestamp=n)
    for n in range(1, 1001)
]
# Serialized once for grpcio: the client's CPU goes to the calls, not to building messages.
# The betterproto stub serializes each message itself (a few µs; it is that client's cost).
REQUESTS = [bytes(message) for message in MESSAGES]


@dataclass(frozen=True)
class Target:
    """Where one path's calls go, and what the mesh there wants of a caller."""

    address: str  # host:port
    metadata: Metadata = ()  # the edge's token, or the caller a sidecar forwards (direct)
    identity: Path | None = None  # mTLS with this workload's certificate (a sidecar's inbound)

    def grpcio_channel(self) -> grpc.aio.Channel:
        if self.identity is None:
            return grpc.aio.insecure_channel(self.address)
        return grpc.aio.secure_channel(self.address, grpcio_credentials(self.identity))

    def grpclib_channel(self) -> Channel:
        """Bound to the running loop: made inside it."""
        host, port = self.address.rsplit(":", 1)
        tls = grpc_client_context(self.identity) if self.identity is not None else None
        return Channel(host, int(port), ssl=tls)


def targets(mesh: Mesh) -> dict[str, Target]:
    """Direct to analytics' app (as if trading's sidecar forwarded the call), to its sidecar
    (mTLS with a certificate of the edge: the sidecar admits only callers in the mesh, and
    trading is not in this one) and through the edge (a Developer's token)."""
    analytics = mesh.instances["analytics"][0]
    caller = workload_identity(mesh, f"bench-{EDGE_ID}", EDGE_ID)
    return {
        DIRECT: Target(analytics.app.grpc_address, forwarded_from(CALLER)),
        SIDECAR: Target(analytics.instance.inbound_address, identity=caller),
        EDGE: Target(mesh.edge_url.removeprefix("http://"), market_data_token()),
    }


Call = Callable[[int], Awaitable[bool]]  # the n-th call; True when it succeeded
Client = Callable[[Target, int, float], Awaitable[LoadResult]]


async def _loop(client: str, call: Call, concurrency: int, seconds: float) -> LoadResult:
    """`concurrency` workers calling back to back until `seconds` have passed."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        nonlocal errors
        n = offset
        while time.perf_counter() < deadline:
            n += 1
            started = time.perf_counter()
            ok = await call(n)
            latencies.append(time.perf_counter() - started)
            errors += not ok

    began = time.perf_counter()
    await asyncio.gather(*(worker(k * 37) for k in range(concurrency)))
    took = time.perf_counter() - began
    latencies.sort()
    return LoadResult(
        client,
        concurrency,
        took,
        len(latencies),
        errors,
        percentile(latencies, 50) * 1e3,
        percentile(latencies, 99) * 1e3,
    )


async def closed_loop(target: Target, concurrency: int, seconds: float) -> LoadResult:
    """grpcio.aio, bytes in and out (no message classes on the client's hot path)."""
    async with target.grpcio_channel() as channel:
        send = channel.unary_unary(METHOD)
        await asyncio.wait_for(channel.channel_ready(), 5)

        async def call(n: int) -> bool:
            try:
                reply = await send(REQUESTS[n % len(REQUESTS)], timeout=5, metadata=target.metadata)
            except grpc.aio.AioRpcError:
                return False
            return MarketDataResponse().parse(reply).success

        return await _loop(GRPCIO, call, concurrency, seconds)


async def grpclib_loop(target: Target, concurrency: int, seconds: float) -> LoadResult:
    """The generated betterproto stub on one grpclib Channel (one HTTP/2 connection)."""
    channel = target.grpclib_channel()
    stub = MarketDataServiceStub(channel, metadata=dict(target.metadata))
    try:
        await stub.send_market_data(MESSAGES[0], timeout=5)  # connects, like channel_ready()

        async def call(n: int) -> bool:
            try:
                reply = await stub.send_market_data(MESSAGES[n % len(MESSAGES)], timeout=5)
            except (GRPCError, StreamTerminatedError, ProtocolError, OSError):
                return False  # OSError includes TimeoutError
            return reply.success

        return await _loop(GRPCLIB, call, concurrency, seconds)
    finally:
        channel.close()


CLIENTS: dict[str, Client] = {GRPCIO: closed_loop, GRPCLIB: grpclib_loop}


async def until_served(target: Target, within: float = 15.0) -> None:
    """Until a call through `target` succeeds (the edge has a healthy gRPC host)."""
    deadline = time.monotonic() + within
    while True:
        result = await closed_loop(target, 1, 0.05)
        if result.requests > result.errors:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"no successful call through {target.address} in {within}s")
        await asyncio.sleep(0.05)


Results = dict[tuple[str, str, int], LoadResult]  # (client, path, in flight) -> result


async def run(paths: dict[str, Target]) -> Results:
    for target in paths.values():
        await until_served(target)
        for client in CLIENTS.values():
            await client(target, max(CONCURRENCY), WARM_UP_SECONDS)
    results = {}
    # Interleaved (client within path within concurrency): a change of background load hits
    # both clients and every path alike.
    for concurrency in CONCURRENCY:
        for label, target in paths.items():
            for name, client in CLIENTS.items():
                results[name, label, concurrency] = await client(target, concurrency, SECONDS)
    return results


def record(results: Results, paths: list[str]) -> None:
    """Every figure with its baseline: a path vs direct (grpcio), grpclib vs grpcio."""
    for concurrency in CONCURRENCY:
        direct = results[GRPCIO, DIRECT, concurrency]
        for label in paths[1:]:
            r = results[GRPCIO, label, concurrency]
            figure = f"grpcio, {concurrency} in flight"
            compare(TITLE, f"calls/s, {figure}", label, r.rps, DIRECT, direct.rps, "calls/s",
                    higher_is_better=True)  # fmt: skip
            compare(TITLE, f"p50, {figure}", label, r.p50_ms, DIRECT, direct.p50_ms, "ms")
        for label in paths:
            io, lib = results[GRPCIO, label, concurrency], results[GRPCLIB, label, concurrency]
            figure = f"{label}, {concurrency} in flight"
            compare(TITLE, f"calls/s, {figure}", GRPCLIB, lib.rps, GRPCIO, io.rps, "calls/s",
                    higher_is_better=True)  # fmt: skip
            compare(TITLE, f"p50, {figure}", GRPCLIB, lib.p50_ms, GRPCIO, io.p50_ms, "ms")


def rows(results: Results, paths: list[str]) -> list[list[object]]:
    found = []
    for concurrency in CONCURRENCY:
        for label in paths:
            for client in CLIENTS:
                r = results[client, label, concurrency]
                direct = results[client, DIRECT, concurrency]
                grpcio = results[GRPCIO, label, concurrency]
                found.append([
                    client, label, concurrency, f"{r.rps:.0f}", f"{r.rps / direct.rps:.2f}",
                    f"{r.rps / grpcio.rps:.2f}", ms(r.p50_ms), ms(r.p99_ms), r.errors,
                ])  # fmt: skip
    return found


def record_floor(results: Results) -> None:
    """Direct to the app vs the bare grpcio server doing the same insert (the floor)."""
    for concurrency in CONCURRENCY:
        direct, floor = results[GRPCIO, DIRECT, concurrency], results[GRPCIO, FLOOR, concurrency]
        compare(TITLE, f"calls/s, grpcio, {concurrency} in flight", DIRECT, direct.rps, FLOOR,
                floor.rps, "calls/s", higher_is_better=True)  # fmt: skip


def measure() -> str:
    with (
        running_mesh({"analytics": 1}, private_apps=False) as mesh,
        tempfile.TemporaryDirectory(prefix="capsure-bare-grpc-") as scratch,
        running_bare_grpc_ingest(Path(scratch)) as floor,
    ):
        found = {**targets(mesh), FLOOR: Target(floor)}
        results = asyncio.run(run(found))
    paths = list(found)
    record(results, paths[:-1])
    record_floor(results)
    header = ["client", "path", "in flight", "calls/s", "÷ direct (same client)", "÷ grpcio",
              "p50 ms", "p99 ms", "errors"]  # fmt: skip
    notes = (
        f"\nClients: grpcio {grpc.__version__} aio (bytes in, bytes out; the baseline) and "
        f"betterproto {betterproto_version} stubs on grpclib {grpclib.__version__} (messages "
        "serialized by the stub per call); each with one channel (HTTP/2 connection) per path, "
        f"{SECONDS:.0f} s per row after a warm-up, the two clients interleaved. The client runs "
        "on the same 2 cores. Each call is one tick stored by analytics (SQLite, WAL, "
        "synchronous=FULL). As the mesh admits each path: the edge with a Developer's token "
        "(`authorization` metadata); the sidecar over mTLS with a certificate of the edge (the "
        "client does the TLS the edge would; trading, not in this mesh, is not admitted); "
        f"direct with the x-forwarded-client-cert header {CALLER}'s sidecar would have set "
        f"(direct means: as if {CALLER}'s sidecar had forwarded it). Apps on loopback ports for "
        "direct (`private_apps=False`): sidecar → app is TCP here, not the default Unix socket. "
        f"{FLOOR}: bench/bare_grpc_ingest.py, the same contract and insert on grpcio's own "
        "server with protobuf's C parser and sqlite3 (no grpclib, betterproto or Tortoise).\n"
    )
    return table(header, rows(results, paths)) + notes


if __name__ == "__main__":
    from bench.common import main

    sys.exit(main(sys.modules[__name__]))
