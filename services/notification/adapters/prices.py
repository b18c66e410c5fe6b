"""PriceBook on Tortoise ORM: the last tick of each asset, moved by compare-and-set in the same
transaction that disarms the alerts the tick fired and stores their notifications."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from services.notification.adapters.notifications import to_record
from services.notification.adapters.orm import (
    CONNECTION,
    AssetPriceRecord,
    NotificationRecord,
    PriceAlertRecord,
)
from services.notification.domain.prices import PriceTick
from services.notification.service_layer.ports import Firing


class _PriceMoved(Exception):
    """Another tick replaced the expected previous one: roll back, the caller tries again."""


def _tick(record: AssetPriceRecord) -> PriceTick:
    return PriceTick(
        asset_symbol=record.asset_symbol,
        price=record.price,
        timestamp=record.timestamp,
        source_id=record.source_id,
    )


class TortoisePriceBook:
    async def last_tick(self, asset_symbol: str) -> PriceTick | None:
        record = await AssetPriceRecord.get_or_none(asset_symbol=asset_symbol)
        return _tick(record) if record else None

    async def apply(
        self, tick: PriceTick, *, previous: PriceTick | None, firings: Sequence[Firing]
    ) -> frozenset[UUID] | None:
        try:
            async with in_transaction(CONNECTION) as connection:
                # The price moves first: on SQLite that write takes the database's write lock
                # at once, so this transaction never has to upgrade a read lock.
                await _move_price(connection, tick, previous)
                return await _fire(connection, firings)
        except _PriceMoved:
            return None


async def _move_price(
    connection: BaseDBAsyncClient, tick: PriceTick, previous: PriceTick | None
) -> None:
    values = {
        "price": tick.price,
        "timestamp": tick.timestamp,
        "source_id": tick.source_id,
    }
    if previous is None:
        # The asset's first tick; insert-or-ignore, then see whether ours is the one stored.
        record = AssetPriceRecord(asset_symbol=tick.asset_symbol, **values)
        await AssetPriceRecord.bulk_create([record], ignore_conflicts=True, using_db=connection)
        stored = await AssetPriceRecord.get(asset_symbol=tick.asset_symbol).using_db(connection)
        if _tick(stored) != tick:
            raise _PriceMoved
        return
    # Timestamps only grow per asset, so the previous one identifies the version we read.
    moved = (
        await AssetPriceRecord.filter(asset_symbol=tick.asset_symbol, timestamp=previous.timestamp)
        .using_db(connection)
        .update(**values)
    )
    if moved != 1:
        raise _PriceMoved


async def _fire(connection: BaseDBAsyncClient, firings: Sequence[Firing]) -> frozenset[UUID]:
    """Disarm each alert still armed (one deleted or fired meanwhile is skipped) and store the
    notifications of those disarmed."""
    notifications, disarmed_ids = [], []
    for firing in firings:
        alert = firing.alert
        disarmed = (
            await PriceAlertRecord.filter(id=alert.id, fired_at__isnull=True)
            .using_db(connection)
            .update(fired_at=alert.fired_at, fired_price=alert.fired_price)
        )
        if disarmed:
            notifications.append(to_record(firing.notification))
            disarmed_ids.append(alert.id)
    if notifications:
        # ON CONFLICT DO NOTHING: a notification of this (alert, tick) already stored stays.
        await NotificationRecord.bulk_create(
            notifications, ignore_conflicts=True, using_db=connection
        )
    return frozenset(disarmed_ids)
