"""What the analytics use cases need from the outside world."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from services.analytics.domain.candles import Candle, CandleInterval
from services.analytics.domain.model import AssetStats, MarketTick, ReceivedTick
from services.analytics.domain.volume import TradeTotals, Window


class TickRepository(Protocol):
    async def add(self, tick: ReceivedTick) -> bool:
        """Keep the tick; False (and nothing kept) when its source_id is already stored."""
        ...

    async def add_many(self, ticks: Sequence[ReceivedTick]) -> int:
        """Keep the ticks in one write (all or none of them), skipping any whose source_id is
        already stored or came earlier in `ticks`; how many were kept."""
        ...

    async def latest(self, asset_symbol: str) -> MarketTick | None:
        """The asset's latest tick (ReceivedTick.recency), or None when it has none."""
        ...

    async def stats(self, asset_symbol: str) -> AssetStats | None: ...

    async def list_stats(self, *, limit: int, offset: int) -> Sequence[AssetStats]:
        """Statistics of every asset seen, ordered by symbol."""
        ...

    async def candles(
        self,
        asset_symbol: str,
        interval: CandleInterval,
        *,
        ticks_before: int | None,
        limit: int,
    ) -> Sequence[Candle]:
        """The newest `limit` candles (candles.candles_of) of the asset's ticks whose
        timestamp is below `ticks_before` (all of them when None), newest first."""
        ...

    async def totals(self, asset_symbol: str, window: Window) -> TradeTotals:
        """Sums over the asset's ticks in the window (volume.totals_of); zeros when none."""
        ...
