"""Traded volume and VWAP over the 24 hours before an asset's newest tick.

The window ends at the newest tick's own timestamp, not at the server's clock: like candles
and the last price it depends only on the ticks received, so a replayed or delayed feed
gives the same answer, and an asset that stopped trading still shows its last day. Pure
Python; the SQL adapter must agree with `totals_of`, the reference."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from services.analytics.domain.model import ReceivedTick

DAY_MILLIS = 86_400_000


@dataclass(frozen=True)
class Window:
    """Ticks with start < timestamp <= end (Unix milliseconds): the end is the newest tick,
    which must count; a tick exactly 24 h older is the first one left out."""

    start: int
    end: int

    @classmethod
    def day_ending_at(cls, newest_timestamp: int) -> Window:
        return cls(start=newest_timestamp - DAY_MILLIS, end=newest_timestamp)

    def contains(self, timestamp: int) -> bool:
        return self.start < timestamp <= self.end


@dataclass(frozen=True)
class TradeTotals:
    """Sums over some ticks; quotes (quantity 0) count as ticks only."""

    ticks: int
    trades: int  # ticks with a quantity > 0
    volume: float  # sum of quantities
    notional: float  # sum of price * quantity

    @property
    def vwap(self) -> float | None:
        """Volume-weighted average price; None when nothing was traded."""
        return self.notional / self.volume if self.volume > 0 else None


def totals_of(ticks: Iterable[ReceivedTick]) -> TradeTotals:
    kept = [t.tick for t in ticks]
    return TradeTotals(
        ticks=len(kept),
        trades=sum(1 for t in kept if t.is_trade),
        volume=math.fsum(t.quantity for t in kept),
        notional=math.fsum(t.notional for t in kept),
    )


@dataclass(frozen=True)
class DailyVolume:
    asset_symbol: str
    window: Window
    totals: TradeTotals
