"""In-memory stand-ins for the analytics service's ports. The aggregates come from the
domain's reference functions, which the SQL adapter is tested against too."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime

from services.analytics.domain.candles import Candle, CandleInterval, candles_of
from services.analytics.domain.errors import InvalidTick
from services.analytics.domain.model import AssetStats, MarketTick, ReceivedTick, summarise
from services.analytics.domain.volume import TradeTotals, Window, totals_of

# When the ticks the analytics tests record were taken (Unix ms): 2026-03-01T12:00:00Z, on
# every candle interval's boundary.
NOON = 1_772_366_400_000
# The tests' "now": a day after those ticks (analytics refuses ticks from the future).
AFTER_THE_TICKS = datetime(2026, 3, 2, 12, tzinfo=UTC)


class InMemoryTickRepository:
    """Keeps ticks in a list; statistics come from the domain's reference `summarise`."""

    def __init__(self) -> None:
        self.ticks: list[ReceivedTick] = []
        self.batches: list[int] = []  # sizes of add_many calls

    def _known(self, source_id: str | None) -> bool:
        return source_id is not None and any(t.tick.source_id == source_id for t in self.ticks)

    async def add(self, tick: ReceivedTick) -> bool:
        if self._known(tick.tick.source_id):
            return False
        self.ticks.append(tick)
        return True

    async def add_many(self, ticks: Sequence[ReceivedTick]) -> int:
        self.batches.append(len(ticks))
        return sum([await self.add(tick) for tick in ticks])

    def _of(self, asset_symbol: str) -> list[ReceivedTick]:
        return [t for t in self.ticks if t.tick.asset_symbol == asset_symbol]

    async def latest(self, asset_symbol: str) -> MarketTick | None:
        mine = self._of(asset_symbol)
        return max(mine, key=lambda t: t.recency).tick if mine else None

    async def stats(self, asset_symbol: str) -> AssetStats | None:
        mine = self._of(asset_symbol)
        return summarise(mine) if mine else None

    async def list_stats(self, *, limit: int, offset: int) -> Sequence[AssetStats]:
        symbols = sorted({t.tick.asset_symbol for t in self.ticks})
        return [summarise(self._of(s)) for s in symbols[offset : offset + limit]]

    async def candles(
        self,
        asset_symbol: str,
        interval: CandleInterval,
        *,
        ticks_before: int | None,
        limit: int,
    ) -> Sequence[Candle]:
        mine = self._of(asset_symbol)
        if ticks_before is not None:
            mine = [t for t in mine if t.tick.timestamp < ticks_before]
        return candles_of(mine, interval)[:limit]

    async def totals(self, asset_symbol: str, window: Window) -> TradeTotals:
        return totals_of(t for t in self._of(asset_symbol) if window.contains(t.tick.timestamp))


async def items(values: Iterable[MarketTick | InvalidTick]) -> AsyncIterator:
    for value in values:
        yield value
