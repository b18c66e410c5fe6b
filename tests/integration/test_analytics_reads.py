"""Analytics' one-statement reads (adapters/tick_queries) answer the same JSON as the seed's
QuerySet reads they replaced (analytics_queryset_reads), on SQLite and PostgreSQL: statistics
of one asset and pages of all, candles of every interval with and without `before` (gaps,
ties on a timestamp, older ticks beyond the recent range), the latest tick and 24 h totals."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.analytics.adapters.repository import TortoiseTickRepository
from services.analytics.config import AnalyticsSettings
from services.analytics.domain.candles import CandleInterval
from services.analytics.domain.model import MarketTick, ReceivedTick
from services.analytics.domain.volume import Window
from services.analytics.mappers import (
    candle_to_contract,
    latest_price_to_contract,
    stats_to_contract,
)
from services.common.database import service_database
from tests.integration.analytics_queryset_reads import QuerySetReads
from tests.integration.conftest import migrated_and_open

pytestmark = pytest.mark.integration

NOON = 1_772_366_400_000  # 2026-03-01T12:00:00Z
T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
SYMBOLS = ("BTC", "ETH-USD", "SOL", "A1", "ZZ")


def market(seed: int) -> list[ReceivedTick]:
    """Ticks over ~3 days with gaps: bursts within a minute, ties on timestamps (told apart by
    received_at, or by id alone), trades and quotes; one asset with a single tick."""
    rng = random.Random(seed)
    ticks = []
    for symbol in SYMBOLS[:-1]:
        moment = NOON
        for _ in range(rng.randint(40, 160)):
            moment += rng.choice([0, 0, 1, 700, 20_000, 61_000, 400_000, 4_000_000, 90_000_000])
            ticks.append(
                ReceivedTick(
                    id=uuid4(),
                    tick=MarketTick(
                        symbol,
                        round(rng.uniform(0.5, 100), 4),
                        moment,
                        quantity=rng.choice([0.0, 0.0, rng.uniform(0, 5)]),
                    ),
                    received_at=T0 + timedelta(seconds=rng.choice([0, 1, 1, 2])),
                )
            )
    ticks.append(ReceivedTick(uuid4(), MarketTick("ZZ", 9.5, NOON), T0))
    return ticks


@pytest.fixture(params=[1, 2, 3], ids=["market 1", "market 2", "market 3"])
async def stored(request, database_url):
    settings = AnalyticsSettings(database_url=database_url)
    async with migrated_and_open(service_database("analytics", settings)):
        ticks = market(request.param)
        await TortoiseTickRepository().add_many(ticks)
        yield ticks


async def test_statistics_are_the_same_json(stored):
    new, old = TortoiseTickRepository(), QuerySetReads()
    for symbol in (*SYMBOLS, "NONE"):
        mine, theirs = await new.stats(symbol), await old.stats(symbol)
        assert (mine and stats_to_contract(mine)) == (theirs and stats_to_contract(theirs))
        mine_latest, their_latest = await new.latest(symbol), await old.latest(symbol)
        assert (mine_latest and latest_price_to_contract(mine_latest)) == (
            their_latest and latest_price_to_contract(their_latest)
        )
    for limit, offset in [(1, 0), (2, 1), (3, 3), (100, 0), (5, 5), (10, 100)]:
        mine_page = await new.list_stats(limit=limit, offset=offset)
        their_page = await old.list_stats(limit=limit, offset=offset)
        assert [stats_to_contract(s) for s in mine_page] == [
            stats_to_contract(s) for s in their_page
        ]


@pytest.mark.parametrize("interval", list(CandleInterval), ids=lambda i: i.value)
async def test_candles_are_the_same_json(stored, interval):
    new, old = TortoiseTickRepository(), QuerySetReads()
    bounds = [None, NOON, NOON + 1, NOON + 3_600_000, NOON + 100_000_000, 0]
    for symbol in (*SYMBOLS, "NONE"):
        for limit in (1, 3, 10, 500):
            for before in bounds:
                args = (symbol, interval)
                mine = await new.candles(*args, ticks_before=before, limit=limit)
                theirs = await old.candles(*args, ticks_before=before, limit=limit)
                assert [candle_to_contract(c) for c in mine] == [
                    candle_to_contract(c) for c in theirs
                ], (symbol, limit, before)


async def test_daily_totals_are_the_same(stored):
    new, old = TortoiseTickRepository(), QuerySetReads()
    for symbol in (*SYMBOLS, "NONE"):
        for end in (NOON, NOON + 86_400_000, NOON + 200_000_000):
            window = Window.day_ending_at(end)
            assert await new.totals(symbol, window) == await old.totals(symbol, window)
