"""Analytics' schema upgrade: ticks stored before quantities existed read as quotes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.analytics.adapters.orm import MarketTickRecord
from services.analytics.adapters.repository import TortoiseTickRepository
from services.analytics.config import AnalyticsSettings
from services.analytics.domain.candles import CandleInterval
from services.analytics.domain.volume import Window
from services.common.database import service_database
from tests.integration.conftest import migrated_and_open, seeded_at

pytestmark = pytest.mark.integration

OLD_TICK = (
    "INSERT INTO market_tick (id, asset_symbol, price, timestamp, source_id, received_at) "
    "VALUES ('6d1c0f8e-3f7a-4c8e-9b1d-2a5e4f6c7b8a', 'OLD', 2.5, 60000, NULL, '{}')"
)


async def test_ticks_from_before_quantities_are_quotes_after_the_upgrade(database_url):
    spec = service_database("analytics", AnalyticsSettings(database_url=database_url))
    received_at = datetime(2026, 1, 1, tzinfo=UTC).isoformat(sep=" ")
    await seeded_at(spec, "0001_initial", OLD_TICK.format(received_at))

    async with migrated_and_open(spec):  # the start-up path applies the rest
        repo = TortoiseTickRepository()
        assert (await repo.latest("OLD")).quantity == 0.0
        [candle] = await repo.candles("OLD", CandleInterval.ONE_MINUTE, ticks_before=None, limit=5)
        assert (candle.ticks, candle.trades, candle.volume) == (1, 0, 0.0)
        totals = await repo.totals("OLD", Window.day_ending_at(60_000))
        assert (totals.ticks, totals.volume, totals.vwap) == (1, 0.0, None)


async def test_the_idempotency_table_of_the_read_only_api_is_dropped(database_url):
    spec = service_database("analytics", AnalyticsSettings(database_url=database_url))
    await seeded_at(
        spec,
        "0003_idempotency",
        "INSERT INTO idempotency_record (scope, key, fingerprint, response_status, "
        "response_headers, created_at, expires_at) VALUES ('s', 'k', 'f', 200, '{}', "
        "'2026-01-01 00:00:00+00:00', '2026-01-02 00:00:00+00:00')",
    )
    async with migrated_and_open(spec):
        client = MarketTickRecord._meta.db
        if spec.is_postgres:
            query = "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"
        else:
            query = "SELECT name FROM sqlite_master WHERE type = 'table'"
        tables = {row["name"] for row in await client.execute_query_dict(query)}
        assert "market_tick" in tables
        assert "idempotency_record" not in tables
