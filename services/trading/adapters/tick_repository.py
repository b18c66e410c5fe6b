"""TickRepository on Tortoise ORM; maps rows to domain objects and back."""

from __future__ import annotations

from collections.abc import Sequence

from services.common.sql_inserts import insert_row, insert_statement
from services.trading.adapters.orm import CONNECTION, MarketDataTickRecord
from services.trading.domain.ticks import MarketDataTick

# A batch's columns, in the order add_many binds them.
_BATCH_COLUMNS = ("id", "asset_symbol", "price", "timestamp", "received_at", "quantity")


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
        # A prepared INSERT: the ORM's create compiled it and fetched a row id nobody read.
        row = {
            "id": tick.id,
            "asset_symbol": tick.asset_symbol,
            "price": tick.price,
            "timestamp": tick.timestamp,
            "received_at": tick.received_at,
            "quantity": tick.quantity,
        }
        await insert_row(CONNECTION, MarketDataTickRecord, row)

    async def add_many(self, ticks: Sequence[MarketDataTick]) -> None:
        # One executemany in the caller's transaction, without a model per tick (bulk_create
        # built one per row: most of a batch's CPU). Values go through the fields' to_db_value,
        # so rows read back through the model as Tortoise wrote them.
        if not ticks:
            return
        client = MarketDataTickRecord._meta.db
        fields_map = MarketDataTickRecord._meta.fields_map
        ids, received = fields_map["id"], fields_map["received_at"]
        moments = {
            m: received.to_db_value(m, MarketDataTickRecord) for m in {t.received_at for t in ticks}
        }
        rows = [
            (
                ids.to_db_value(t.id, MarketDataTickRecord),
                t.asset_symbol,
                t.price,
                t.timestamp,
                moments[t.received_at],
                t.quantity,
            )
            for t in ticks
        ]
        insert = insert_statement(MarketDataTickRecord, _BATCH_COLUMNS)
        await client.execute_many(insert.for_dialect(client.capabilities.dialect), rows)

    async def list_recent(self, asset_symbol: str, *, limit: int) -> Sequence[MarketDataTick]:
        records = (
            await MarketDataTickRecord.filter(asset_symbol=asset_symbol)
            .order_by("-timestamp", "-received_at", "-id")
            .limit(limit)
        )
        return [_to_domain(r) for r in records]
