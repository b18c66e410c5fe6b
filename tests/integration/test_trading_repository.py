"""Trading's TortoiseTickRepository against real databases, schema from the migrations."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.common.database import service_database
from services.trading.adapters.tick_repository import TortoiseTickRepository
from services.trading.config import TradingSettings
from services.trading.domain.ticks import MarketDataTick
from tests.integration.conftest import migrated_and_open

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def repo(database_url):
    settings = TradingSettings(database_url=database_url)
    async with migrated_and_open(service_database("trading", settings)):
        yield TortoiseTickRepository()


def a_tick(symbol="ETH-USD", price=100.5, timestamp=1_700_000_000_000, received=T0):
    return MarketDataTick(
        id=uuid4(), asset_symbol=symbol, price=price, timestamp=timestamp, received_at=received
    )


async def test_recent_ticks_are_newest_first_then_latest_received(repo):
    older = a_tick(timestamp=1)
    tie_first = a_tick(timestamp=2, received=T0)
    tie_second = a_tick(timestamp=2, received=T0 + timedelta(seconds=1))
    other_asset = a_tick(symbol="BTC", timestamp=3)
    for tick in (tie_second, older, other_asset, tie_first):
        await repo.add(tick)
    assert await repo.list_recent("ETH-USD", limit=10) == [tie_second, tie_first, older]
    assert await repo.list_recent("ETH-USD", limit=1) == [tie_second]
    assert await repo.list_recent("SOL", limit=10) == []


async def test_prices_and_big_timestamps_read_back_exactly(repo):
    tick = a_tick(price=0.000001234, timestamp=4_102_444_800_000)
    await repo.add(tick)
    assert await repo.list_recent("ETH-USD", limit=1) == [tick]
