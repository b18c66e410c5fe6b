"""OHLC candles: the domain's bucketing rules, and the use case through the composition root
with the in-memory repository."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from services.analytics.bootstrap import build_deps
from services.analytics.domain.candles import (
    Candle,
    CandleInterval,
    bucket_start,
    candle_of,
    candles_of,
    ticks_before,
)
from services.analytics.domain.errors import NoMarketData
from services.analytics.domain.model import MarketTick, ReceivedTick
from services.analytics.service_layer import use_cases
from services.analytics.service_layer.use_cases import AnalyticsDeps
from tests.support.clock import FakeClock
from tests.unit.analytics_fakes import AFTER_THE_TICKS, NOON, InMemoryTickRepository

pytestmark = pytest.mark.unit

MINUTE, HOUR = 60_000, 3_600_000
M1, M5, H1 = CandleInterval.ONE_MINUTE, CandleInterval.FIVE_MINUTES, CandleInterval.ONE_HOUR
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def received(price: float, timestamp: int, *, quantity=0.0, arrival=0, id_=1) -> ReceivedTick:
    return ReceivedTick(
        id=UUID(int=id_),
        tick=MarketTick("BTC", price, timestamp, quantity=quantity),
        received_at=datetime.fromtimestamp(T0.timestamp() + arrival, UTC),
    )


# --- the rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "timestamp", "start"),
    [
        (M1, NOON, NOON),  # a tick on the boundary opens the new candle
        (M1, NOON - 1, NOON - MINUTE),  # the last millisecond still closes the old one
        (M1, NOON + 59_999, NOON),
        (M5, NOON + 7 * MINUTE + 30_000, NOON + 5 * MINUTE),  # 12:07:30 -> 12:05
        (M5, NOON + 5 * MINUTE, NOON + 5 * MINUTE),
        (H1, NOON + 59 * MINUTE, NOON),
        (H1, NOON + HOUR, NOON + HOUR),
        (M1, 0, 0),
    ],
)
def test_candles_are_aligned_to_the_epoch_in_utc(interval, timestamp, start):
    assert bucket_start(timestamp, interval) == start


def test_interval_lengths_and_contract_names():
    assert [(i.value, i.millis) for i in CandleInterval] == [
        ("1m", MINUTE),
        ("5m", 5 * MINUTE),
        ("1h", HOUR),
    ]


@pytest.mark.parametrize(
    ("before", "bound"),
    [
        (NOON, NOON),  # a candle start: the candles before it end there
        (NOON + 1, NOON + MINUTE),  # mid-candle: the candle that started before it is whole
        (NOON - 1, NOON),
        (-1, 0),
        (-MINUTE - 1, -MINUTE),
    ],
)
def test_the_tick_bound_of_candles_starting_before_a_moment(before, bound):
    assert ticks_before(before, M1) == bound


def test_open_and_close_follow_the_tick_timestamps_not_the_arrival():
    ticks = [
        received(30.0, NOON + 3, arrival=0),
        received(10.0, NOON + 1, arrival=1),  # arrived late, yet the earliest: it opens
        received(50.0, NOON + 2, arrival=2),
        received(20.0, NOON + 4, arrival=3, quantity=1.5),
        received(5.0, NOON + 2, arrival=4, quantity=0.5),
    ]
    assert candle_of(NOON, ticks) == Candle(
        start=NOON, open=10.0, high=50.0, low=5.0, close=20.0, volume=2.0, trades=2, ticks=5
    )


def test_on_equal_timestamps_the_first_received_opens_and_the_last_received_closes():
    ticks = [
        received(2.0, NOON, arrival=5, id_=1),
        received(1.0, NOON, arrival=1, id_=2),
        received(3.0, NOON, arrival=9, id_=3),
    ]
    candle = candle_of(NOON, ticks)
    assert (candle.open, candle.close) == (1.0, 3.0)


def test_equal_timestamps_and_arrivals_are_ordered_by_id():
    ticks = [received(2.0, NOON, id_=9), received(1.0, NOON, id_=3), received(3.0, NOON, id_=5)]
    candle = candle_of(NOON, ticks)
    assert (candle.open, candle.close) == (1.0, 2.0)


def test_candles_are_newest_first_and_intervals_without_ticks_have_none():
    ticks = [
        received(1.0, NOON + 10),
        received(2.0, NOON + 3 * MINUTE),
        received(3.0, NOON + 3 * MINUTE + 1),
        received(4.0, NOON - 1),
    ]
    candles = candles_of(ticks, M1)
    assert [(c.start, c.ticks) for c in candles] == [
        (NOON + 3 * MINUTE, 2),
        (NOON, 1),
        (NOON - MINUTE, 1),
    ]
    assert candles_of([], M1) == []
    with pytest.raises(ValueError):
        candle_of(NOON, [])


def test_quotes_count_as_ticks_but_add_no_volume_and_no_trade():
    [candle] = candles_of([received(1.0, NOON), received(2.0, NOON + 1)], M1)
    assert (candle.volume, candle.trades, candle.ticks) == (0.0, 0, 2)


# --- the use case --------------------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(AFTER_THE_TICKS)


@pytest.fixture
def deps(clock: FakeClock) -> AnalyticsDeps:
    return build_deps(InMemoryTickRepository(), clock=clock)


async def record(deps, clock, *ticks: tuple[float, int, float], symbol="BTC", source_id=None):
    for price, timestamp, quantity in ticks:
        tick = MarketTick(symbol, price, timestamp, source_id=source_id, quantity=quantity)
        await use_cases.record_tick(deps, tick)
        clock.advance()


async def test_candles_of_recorded_ticks(deps, clock):
    await record(
        deps,
        clock,
        (100.0, NOON + 5_000, 0.5),
        (110.0, NOON + 50_000, 0.0),
        (90.0, NOON + 20_000, 1.5),
        (120.0, NOON + MINUTE, 2.0),
    )
    await record(deps, clock, (1.0, NOON, 9.0), symbol="ETH")  # another asset's
    candles = await use_cases.get_candles(deps, "BTC", M1, limit=10)
    assert candles == [
        Candle(NOON + MINUTE, 120.0, 120.0, 120.0, 120.0, volume=2.0, trades=1, ticks=1),
        Candle(NOON, 100.0, 110.0, 90.0, 110.0, volume=2.0, trades=2, ticks=3),
    ]
    [hourly] = await use_cases.get_candles(deps, "BTC", H1, limit=10)
    assert (hourly.open, hourly.close, hourly.ticks, hourly.volume) == (100.0, 120.0, 4, 4.0)


async def test_a_repeated_source_id_counts_once_in_a_candle(deps, clock):
    await record(deps, clock, (100.0, NOON, 1.0), source_id="trade-1")
    await record(deps, clock, (100.0, NOON, 1.0), source_id="trade-1")
    [candle] = await use_cases.get_candles(deps, "BTC", M1, limit=10)
    assert (candle.ticks, candle.trades, candle.volume) == (1, 1, 1.0)


async def test_candles_page_back_by_the_oldest_start(deps, clock):
    await record(deps, clock, *[(float(i + 1), NOON + i * MINUTE, 0.0) for i in range(5)])
    first = await use_cases.get_candles(deps, "BTC", M1, limit=2)
    assert [c.close for c in first] == [5.0, 4.0]
    second = await use_cases.get_candles(deps, "BTC", M1, limit=2, start_before=first[-1].start)
    assert [c.close for c in second] == [3.0, 2.0]
    # A moment inside a candle keeps that candle whole: it started before the moment.
    inside = await use_cases.get_candles(deps, "BTC", M1, limit=2, start_before=NOON + 1)
    assert [(c.start, c.close) for c in inside] == [(NOON, 1.0)]
    assert await use_cases.get_candles(deps, "BTC", M1, limit=2, start_before=NOON) == []


async def test_candles_of_an_unknown_asset_are_not_found(deps, clock):
    await record(deps, clock, (1.0, NOON, 0.0))
    with pytest.raises(NoMarketData, match="ETH"):
        await use_cases.get_candles(deps, "ETH", M1, limit=10)
