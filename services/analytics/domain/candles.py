"""OHLC candles: an asset's ticks bucketed by their own timestamps into intervals aligned to
the Unix epoch (so to UTC minutes and hours). Pure Python; the SQL adapter must agree with
`candles_of`, the reference."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from itertools import groupby

from services.analytics.domain.model import ReceivedTick


class CandleInterval(Enum):
    """How long one candle lasts; the value is its name in the contract."""

    ONE_MINUTE = "1m"
    FIVE_MINUTES = "5m"
    ONE_HOUR = "1h"

    @property
    def millis(self) -> int:
        return _MILLIS[self]


_MILLIS = {
    CandleInterval.ONE_MINUTE: 60_000,
    CandleInterval.FIVE_MINUTES: 300_000,
    CandleInterval.ONE_HOUR: 3_600_000,
}


def bucket_start(timestamp: int, interval: CandleInterval) -> int:
    """The start of the candle a tick falls in. The SQL adapter computes the same with
    integer division (`timestamp / ms * ms`): equal for timestamps >= 0, which ticks are."""
    return timestamp // interval.millis * interval.millis


def ticks_before(start_before: int, interval: CandleInterval) -> int:
    """Ticks of the candles starting before `start_before` are exactly those with a timestamp
    below this bound: the first candle start at or after it."""
    return -(-start_before // interval.millis) * interval.millis


@dataclass(frozen=True)
class Candle:
    start: int  # Unix time in milliseconds, a multiple of the interval
    open: float  # price of the earliest tick (ReceivedTick.recency)
    high: float
    low: float
    close: float  # price of the latest tick (ReceivedTick.recency)
    volume: float  # sum of the quantities
    trades: int  # ticks with a quantity > 0
    ticks: int


def candle_of(start: int, ticks: Iterable[ReceivedTick]) -> Candle:
    """The candle of one bucket's ticks (at least one)."""
    ordered = sorted(ticks, key=lambda t: t.recency)
    if not ordered:
        raise ValueError("a candle needs at least one tick")
    prices = [t.tick.price for t in ordered]
    return Candle(
        start=start,
        open=prices[0],
        high=max(prices),
        low=min(prices),
        close=prices[-1],
        volume=math.fsum(t.tick.quantity for t in ordered),
        trades=sum(1 for t in ordered if t.tick.is_trade),
        ticks=len(ordered),
    )


def candles_of(ticks: Iterable[ReceivedTick], interval: CandleInterval) -> list[Candle]:
    """One candle per interval that has ticks, newest first; intervals without any are absent."""

    def start(tick: ReceivedTick) -> int:
        return bucket_start(tick.tick.timestamp, interval)

    newest_first = sorted(ticks, key=start, reverse=True)
    return [candle_of(begin, bucket) for begin, bucket in groupby(newest_first, key=start)]
