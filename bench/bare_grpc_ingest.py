"""Bench only: the seed's `/market.MarketDataService/SendMarketData` on a bare grpcio server
doing the same insert as analytics, the floor its unary calls/s are compared with
(bench/grpc_calls.py).

Same work per call, without grpclib, betterproto or Tortoise: the request parsed by protobuf's
C runtime (message classes from a `buf build` image of the contract), the tick checked by
analytics' own domain rules (MarketTick), one INSERT into a table of analytics' schema
(market_tick, its unique source_id and its index) committed on its own, SQLite WAL with
synchronous=FULL as every service's database. grpc.aio, one event loop, like the app.
`python -m bench.bare_grpc_ingest PORT DB` serves; `running_bare_grpc_ingest()` starts that
as a process on a free port and stops it."""

from __future__ import annotations

import asyncio
import contextlib
import select
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import grpc

from mesh.ports import free_port
from mesh.processes import end_process
from services.analytics.domain.errors import InvalidTick
from services.analytics.domain.model import MarketTick

ROOT = Path(__file__).resolve().parents[1]
METHOD = "/market.MarketDataService/SendMarketData"
SCHEMA = """
CREATE TABLE IF NOT EXISTS market_tick (
    id CHAR(36) NOT NULL PRIMARY KEY, asset_symbol VARCHAR(25) NOT NULL, price REAL NOT NULL,
    "timestamp" BIGINT NOT NULL, source_id VARCHAR(128) UNIQUE, received_at TIMESTAMP NOT NULL,
    quantity REAL NOT NULL DEFAULT 0, notional REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS idx_market_tick_symbol_ts ON market_tick (asset_symbol, "timestamp");
"""
INSERT = (
    'INSERT INTO market_tick (id, asset_symbol, price, "timestamp", source_id, received_at, '
    "quantity, notional) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
START_TIMEOUT_SECONDS = 30.0


def seed_messages() -> tuple[type, type]:
    """market.MarketDataRequest and MarketDataResponse, built by protobuf from the contract."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    with tempfile.TemporaryDirectory() as scratch:
        image = Path(scratch) / "image.binpb"
        buf = Path(sys.executable).with_name("buf")
        subprocess.run([str(buf), "build", "-o", str(image)], cwd=ROOT, check=True, timeout=60)
        files = descriptor_pb2.FileDescriptorSet.FromString(image.read_bytes()).file
    pool = descriptor_pool.DescriptorPool()
    for file in files:
        pool.Add(file)
    request, response = (
        message_factory.GetMessageClass(pool.FindMessageTypeByName(f"market.{name}"))
        for name in ("MarketDataRequest", "MarketDataResponse")
    )
    return request, response


async def serve(port: int, database: Path) -> None:
    request_type, response_type = seed_messages()
    db = sqlite3.connect(database, isolation_level=None)
    db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;" + SCHEMA)
    ok = response_type(success=True).SerializeToString()

    async def send_market_data(data: bytes, context: grpc.aio.ServicerContext) -> bytes:
        request = request_type.FromString(data)
        try:
            tick = MarketTick(request.assetSymbol, request.price, request.timestamp)
        except InvalidTick as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        db.execute(
            INSERT,
            (str(uuid.uuid4()), tick.asset_symbol, tick.price, tick.timestamp, None,
             datetime.now(UTC).isoformat(" "), tick.quantity, tick.notional),
        )  # fmt: skip
        return ok

    handler = grpc.method_handlers_generic_handler(
        "market.MarketDataService",
        {"SendMarketData": grpc.unary_unary_rpc_method_handler(send_market_data)},
    )
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    print("serving", flush=True)
    await server.wait_for_termination()


@contextlib.contextmanager
def running_bare_grpc_ingest(workdir: Path) -> Iterator[str]:
    """The bare server on a free port; its address (host:port). Stopped on the way out."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.bare_grpc_ingest", str(port), str(workdir / "bare.sqlite3")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        # "serving" once listening; "" if it died; nothing within the bound if it hangs.
        ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT_SECONDS)
        line = process.stdout.readline() if ready else ""
        if line.strip() != "serving":
            raise RuntimeError(f"bare grpcio server did not start (exit {process.poll()})")
        yield f"127.0.0.1:{port}"
    finally:
        end_process(process, 10)


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]), Path(sys.argv[2])))
