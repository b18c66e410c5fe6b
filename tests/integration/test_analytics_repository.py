"""Analytics' TortoiseTickRepository against real databases: the SQL statistics must agree
with the domain's reference `summarise`, and a source_id is kept once, even under races."""

import asyncio
import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.analytics.adapters.repository import TortoiseTickRepository
from services.analytics.config import AnalyticsSettings
from services.analytics.domain.model import MarketTick, ReceivedTick, summarise
from services.common.database import service_database
from tests.integration.conftest import migrated_and_open

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def repo(database_url):
    settings = AnalyticsSettings(database_url=database_url)
    async with migrated_and_open(service_database("analytics", settings)):
        yield TortoiseTickRepository()


def received(symbol="ETH", price=1.0, timestamp=1, source_id=None, seconds=0) -> ReceivedTick:
    return ReceivedTick(
        id=uuid4(),
        tick=MarketTick(symbol, price, timestamp, source_id),
        received_at=T0 + timedelta(seconds=seconds),
    )


def assert_same_stats(actual, expected):
    assert actual.mean == pytest.approx(expected.mean, rel=1e-12)
    assert {**vars(actual), "mean": None} == {**vars(expected), "mean": None}


async def test_sql_statistics_agree_with_the_domain(repo):
    ticks = [
        received(price=p, timestamp=t, seconds=i)
        for i, (p, t) in enumerate([(3.5, 10), (1.25, 30), (9.0, 20), (2.0, 30), (7.75, 5)])
    ]
    for tick in ticks:
        assert await repo.add(tick)
    await repo.add(received(symbol="BTC", price=50_000.0))
    assert_same_stats(await repo.stats("ETH"), summarise(ticks))
    # Two ticks share the newest timestamp: the one received last is the latest.
    assert (await repo.latest("ETH")).price == 2.0
    assert await repo.stats("SOL") is None
    assert await repo.latest("SOL") is None


async def test_listed_statistics_are_by_symbol_and_paginated(repo):
    by_symbol = {s: [received(s, price=p, timestamp=int(p)) for p in (1.0, 2.0)] for s in "DCBA"}
    for ticks in by_symbol.values():
        for tick in ticks:
            await repo.add(tick)
    first = await repo.list_stats(limit=2, offset=0)
    second = await repo.list_stats(limit=2, offset=2)
    assert [s.asset_symbol for s in (*first, *second)] == ["A", "B", "C", "D"]
    for stats in (*first, *second):
        assert_same_stats(stats, summarise(by_symbol[stats.asset_symbol]))
    assert await repo.list_stats(limit=2, offset=4) == []


async def test_a_source_id_is_kept_once(repo):
    assert await repo.add(received(price=1.0, source_id="tick-1"))
    assert not await repo.add(received(price=1.0, source_id="tick-1"))
    batch = [
        received(price=2.0, source_id="tick-1"),  # already stored
        received(price=3.0, source_id="tick-2"),
        received(price=4.0, source_id="tick-2"),  # twice in the batch
        received(price=5.0),
    ]
    assert await repo.add_many(batch) == 2  # tick-2 once and the one without a source_id
    stats = await repo.stats("ETH")
    assert (stats.count, stats.min, stats.max) == (3, 1.0, 5.0)


async def test_a_bulk_insert_reads_back_through_the_model_as_tortoise_wrote_it(repo):
    """Rows of the bulk insert (raw SQL) and of the model's own create are alike, field by
    field, read back through the model."""
    from services.analytics.adapters.orm import MarketTickRecord

    trade = MarketTick("ETH-USD", 1e-9, 4_102_444_800_000, "s-1", quantity=1e15)
    saved = ReceivedTick(uuid4(), trade, T0 + timedelta(microseconds=123_456))
    bulk = ReceivedTick(uuid4(), replace(trade, source_id="s-2"), saved.received_at)
    await MarketTickRecord.create(  # as Tortoise writes a row
        id=saved.id,
        asset_symbol=trade.asset_symbol,
        price=trade.price,
        timestamp=trade.timestamp,
        source_id=trade.source_id,
        received_at=saved.received_at,
        quantity=trade.quantity,
        notional=trade.notional,
    )
    assert await repo.add_many([bulk]) == 1
    rows = {r.source_id: r for r in await MarketTickRecord.all()}
    fields = ("asset_symbol", "price", "timestamp", "received_at", "quantity", "notional")
    assert [getattr(rows["s-2"], f) for f in fields] == [getattr(rows["s-1"], f) for f in fields]
    assert rows["s-2"].id == bulk.id
    assert rows["s-2"].received_at == saved.received_at


async def test_a_bulk_insert_is_one_write_of_the_whole_batch(repo):
    big = [received(price=float(i + 1), timestamp=i, source_id=f"b-{i}") for i in range(2_500)]
    assert await repo.add_many(big) == 2_500
    assert await repo.add_many(big[:10]) == 0  # every one stored already
    assert (await repo.stats("ETH")).count == 2_500


async def test_racing_copies_of_one_source_id_store_one_row(repo):
    results = await asyncio.gather(
        *(repo.add(received(price=float(i + 1), source_id="raced")) for i in range(10))
    )
    assert sorted(results) == [False] * 9 + [True]
    assert (await repo.stats("ETH")).count == 1


async def test_extreme_prices_survive_the_round_trip(repo):
    for timestamp, price in enumerate((1e-9, 1e12, math.pi)):
        await repo.add(received(price=price, timestamp=timestamp))
    stats = await repo.stats("ETH")
    assert (stats.min, stats.max) == (1e-9, 1e12)
