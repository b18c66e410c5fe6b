"""TickRepository on Tortoise ORM; maps rows to domain objects and back."""

from __future__ import annotations

from collections.abc import Sequence

from services.trading.adapters.orm import MarketDataTickRecord
from services.trading.domain.ticks import MarketDataTick


def _to_domain(record: MarketDataTickRecord) -> MarketDataTick:
    return MarketDataTick(
        id=record.id,
        asset_symbol=record.asset_symbol,
        price=record.price,
        timestamp=record.timestamp,
        received_at=record.received_at,
        quantity=record.quantity,
    )


class TortoiseTickRepository:
    async def add(self, tick: MarketDataTick) -> None:
        await MarketDataTickRecord.create(
            id=tick.id,
            asset_symbol=tick.asset_symbol,
            price=tick.price,
            timestamp=tick.timestamp,
            received_at=tick.received_at,
            quantity=tick.quantity,
        )

    async def add_many(self, ticks: Sequence[MarketDataTick]) -> None:
        # bulk_create: one executemany for the batch, not a statement per tick.
        await MarketDataTickRecord.bulk_create(
            [
                MarketDataTickRecord(
                    id=t.id,
                    asset_symbol=t.asset_symbol,
                    price=t.price,
                    timestamp=t.timestamp,
                    received_at=t.received_at,
                    quantity=t.quantity,
                )
                for t in ticks
            ]
        )

    async def list_recent(self, asset_symbol: str, *, limit: int) -> Sequence[MarketDataTick]:
        records = (
            await MarketDataTickRecord.filter(asset_symbol=asset_symbol)
            .order_by("-timestamp", "-received_at", "-id")
            .limit(limit)
        )
        return [_to_domain(r) for r in records]
