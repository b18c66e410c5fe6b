"""Trading's schema upgrade: ticks stored before quantities existed read as quotes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.common.database import service_database
from services.common.outbox_orm import TortoiseOutboxStore
from services.trading.adapters.orm import OutboxMessage
from services.trading.adapters.tick_repository import TortoiseTickRepository
from services.trading.config import TradingSettings
from tests.integration.conftest import migrated_and_open, seeded_at

pytestmark = pytest.mark.integration

OLD_TICK = (
    "INSERT INTO market_data_tick (id, asset_symbol, price, timestamp, received_at) "
    "VALUES ('6d1c0f8e-3f7a-4c8e-9b1d-2a5e4f6c7b8a', 'OLD', 2.5, 60000, '{}')"
)


async def test_ticks_from_before_quantities_are_quotes_after_the_upgrade(database_url):
    spec = service_database("trading", TradingSettings(database_url=database_url))
    received_at = datetime(2026, 1, 1, tzinfo=UTC).isoformat(sep=" ")
    await seeded_at(spec, "0002_idempotency", OLD_TICK.format(received_at))

    async with migrated_and_open(spec):  # the start-up path applies the rest
        [tick] = await TortoiseTickRepository().list_recent("OLD", limit=5)
        assert (tick.price, tick.quantity) == (2.5, 0.0)


OLD_MESSAGE = (
    "INSERT INTO outbox_message (topic, payload, created_at, attempts, next_attempt_at) "
    "VALUES ('analytics.ticks', '{{\"id\": \"t-1\"}}', '{0}', 0, '{0}')"
)


async def test_messages_queued_before_bundles_read_as_one_item_each(database_url):
    spec = service_database("trading", TradingSettings(database_url=database_url))
    queued_at = datetime(2026, 1, 1, tzinfo=UTC).isoformat(sep=" ")
    await seeded_at(spec, "0005_marketplace", OLD_MESSAGE.format(queued_at))

    async with migrated_and_open(spec):
        [message] = await TortoiseOutboxStore(OutboxMessage, lambda: datetime.now(UTC)).pending(
            "analytics.ticks", 10, max_items=10
        )
        assert (message.payload, message.items) == ({"id": "t-1"}, 1)
