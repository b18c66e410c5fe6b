"""TickRepository on the analytics database: writes in bulk (tick_inserts), reads as one
statement each (tick_queries). Statistics are computed by the database, not in Python."""

from __future__ import annotations

from collections.abc import Sequence

from services.analytics.adapters import tick_queries
from services.analytics.adapters.tick_inserts import insert_ticks
from services.analytics.domain.candles import Candle, CandleInterval
from services.analytics.domain.model import AssetStats, MarketTick, ReceivedTick
from services.analytics.domain.volume import TradeTotals, Window


class TortoiseTickRepository:
    async def add(self, tick: ReceivedTick) -> bool:
        # The bulk insert's statement: a copy of a stored source_id is skipped without a race.
        return await insert_ticks([tick]) == 1

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
