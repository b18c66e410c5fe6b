"""TickRepository on the analytics database: writes in bulk (tick_inserts), reads as one
statement each (tick_queries). Statistics are computed by the database, not in Python."""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.exceptions import IntegrityError

from services.analytics.adapters import tick_queries
from services.analytics.adapters.orm import MarketTickRecord
from services.analytics.adapters.tick_inserts import insert_ticks
from services.analytics.domain.candles import Candle, CandleInterval
from services.analytics.domain.model import AssetStats, MarketTick, ReceivedTick
from services.analytics.domain.volume import TradeTotals, Window


def _record(received: ReceivedTick) -> MarketTickRecord:
    tick = received.tick
    return MarketTickRecord(
        id=received.id,
        asset_symbol=tick.asset_symbol,
        price=tick.price,
        timestamp=tick.timestamp,
        source_id=tick.source_id,
        received_at=received.received_at,
        quantity=tick.quantity,
        notional=tick.notional,
    )


class TortoiseTickRepository:
    async def add(self, tick: ReceivedTick) -> bool:
        try:
            await _record(tick).save(force_create=True)
        except IntegrityError:
            # A concurrent or earlier copy won the unique source_id; anything else is a bug.
            source_id = tick.tick.source_id
            if source_id and await MarketTickRecord.exists(source_id=source_id):
                return False
            raise
        return True

    async def add_many(self, ticks: Sequence[ReceivedTick]) -> int:
        return await insert_ticks(ticks)

    async def latest(self, asset_symbol: str) -> MarketTick | None:
        return await tick_queries.latest(asset_symbol)

    async def stats(self, asset_symbol: str) -> AssetStats | None:
        return await tick_queries.stats(asset_symbol)

    async def list_stats(self, *, limit: int, offset: int) -> Sequence[AssetStats]:
        return await tick_queries.list_stats(limit=limit, offset=offset)

    async def candles(
        self,
        asset_symbol: str,
        interval: CandleInterval,
        *,
        ticks_before: int | None,
        limit: int,
    ) -> Sequence[Candle]:
        return await tick_queries.candles(
            asset_symbol, interval, ticks_before=ticks_before, limit=limit
        )

    async def totals(self, asset_symbol: str, window: Window) -> TradeTotals:
        return await tick_queries.totals(asset_symbol, window)
