"""A write cancelled half-way (a gRPC stream reset while analytics stores its batch) leaves the
database usable: the batch is committed whole, and the next writes are committed too.

Tortoise's SQLite client opens a transaction for a bulk insert and rolls it back only on
`Exception`; before `finished_even_if_cancelled`, a `CancelledError` inside it left the shared
connection in that transaction, and every later write failed or was never committed."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from tortoise import connections

from services.analytics.adapters.repository import TortoiseTickRepository
from services.analytics.config import AnalyticsSettings
from services.analytics.domain.model import MarketTick, ReceivedTick
from services.common.database import service_database
from services.common.uncancellable import finished_even_if_cancelled
from tests.integration.conftest import migrated_and_open

pytestmark = pytest.mark.integration

BATCH = 20_000  # long enough to be cancelled inside its transaction
MAX_LOOP_TURNS = 100_000  # a bound on waiting for the transaction to begin, not a budget


def ticks(symbol: str, count: int) -> list[ReceivedTick]:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    return [
        ReceivedTick(id=uuid4(), tick=MarketTick(symbol, 1.0 + n % 5, n + 1, None), received_at=at)
        for n in range(count)
    ]


@pytest.fixture
async def repo(tmp_path):
    url = f"sqlite://{tmp_path}/cancel.sqlite3"
    spec = service_database("analytics", AnalyticsSettings(database_url=url))
    async with migrated_and_open(spec):
        yield TortoiseTickRepository()


def inside_a_transaction() -> bool:
    raw = connections.get("analytics")._connection  # aiosqlite's, wrapping sqlite3's
    return bool(raw is not None and raw.in_transaction)


async def cancelled_inside_its_transaction(write: asyncio.Task) -> None:
    for _ in range(MAX_LOOP_TURNS):
        if inside_a_transaction():
            break
        await asyncio.sleep(0)  # one loop turn: lets the write reach the database
    else:
        pytest.fail("the bulk insert never began its transaction")
    write.cancel()
    with pytest.raises(asyncio.CancelledError):
        await write


async def test_a_batch_cancelled_mid_insert_is_committed_whole_and_writes_go_on(repo, tmp_path):
    first = asyncio.ensure_future(repo.add_many(ticks("CUT", BATCH)))
    await cancelled_inside_its_transaction(first)
    assert not inside_a_transaction()

    await repo.add_many(ticks("AFTER", 10))  # failed before the fix: a transaction within one
    # Committed, as another connection (another process, a restart) sees it.
    with sqlite3.connect(tmp_path / "cancel.sqlite3") as reader:
        counts = dict(
            reader.execute(
                "SELECT asset_symbol, COUNT(*) FROM market_tick GROUP BY asset_symbol"
            ).fetchall()
        )
    assert counts == {"CUT": BATCH, "AFTER": 10}


async def test_the_caller_still_stops_and_a_failed_write_is_not_lost_as_a_warning() -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def slow_write() -> str:
        started.set()
        await release.wait()
        raise ValueError("the write's own failure")

    caller = asyncio.ensure_future(finished_even_if_cancelled(slow_write()))
    await started.wait()
    caller.cancel()
    await asyncio.sleep(0)
    caller.cancel()  # cancelled again while it waits for the write: still waits
    await asyncio.sleep(0)
    assert not caller.done()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await caller
