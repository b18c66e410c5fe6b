"""Traded volume and VWAP over the 24 hours before an asset's newest tick: the domain's rules
and the use case through the composition root with the in-memory repository."""

from __future__ import annotations

import pytest

from services.analytics.bootstrap import build_deps
from services.analytics.domain.errors import NoMarketData
from services.analytics.domain.model import MarketTick
from services.analytics.domain.volume import DAY_MILLIS, TradeTotals, Window
from services.analytics.service_layer import use_cases
from services.analytics.service_layer.use_cases import AnalyticsDeps
from tests.support.clock import FakeClock
from tests.unit.analytics_fakes import AFTER_THE_TICKS, NOON, InMemoryTickRepository

pytestmark = pytest.mark.unit

NEWEST = NOON  # the newest tick's time


# --- the rules -----------------------------------------------------------------------------


def test_the_window_is_the_day_up_to_and_including_the_newest_tick():
    window = Window.day_ending_at(NEWEST)
    assert (window.start, window.end) == (NEWEST - DAY_MILLIS, NEWEST)
    assert window.contains(NEWEST)
    assert window.contains(NEWEST - DAY_MILLIS + 1)
    assert not window.contains(NEWEST - DAY_MILLIS)  # exactly 24 h older: left out
    assert not window.contains(NEWEST + 1)


@pytest.mark.parametrize(
    ("totals", "vwap"),
    [
        (TradeTotals(ticks=3, trades=2, volume=4.0, notional=410.0), 102.5),
        (TradeTotals(ticks=3, trades=0, volume=0.0, notional=0.0), None),
    ],
    ids=["trades", "quotes only"],
)
def test_vwap_is_notional_over_volume_and_none_without_trades(totals, vwap):
    assert totals.vwap == vwap


def test_a_tick_knows_whether_it_is_a_trade_and_what_it_was_worth():
    trade = MarketTick("BTC", 100.0, 1, quantity=2.5)
    quote = MarketTick("BTC", 100.0, 1)
    assert (trade.is_trade, trade.notional) == (True, 250.0)
    assert (quote.is_trade, quote.notional, quote.quantity) == (False, 0.0, 0.0)


# --- the use case --------------------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(AFTER_THE_TICKS)


@pytest.fixture
def deps(clock: FakeClock) -> AnalyticsDeps:
    return build_deps(InMemoryTickRepository(), clock=clock)


async def record(deps, clock, price, timestamp, quantity=0.0, symbol="BTC", source_id=None):
    tick = MarketTick(symbol, price, timestamp, source_id=source_id, quantity=quantity)
    await use_cases.record_tick(deps, tick)
    clock.advance()


async def test_volume_and_vwap_over_the_trades_of_the_last_day(deps, clock):
    await record(deps, clock, 100.0, NEWEST - 1_000, quantity=1.0)
    await record(deps, clock, 110.0, NEWEST, quantity=3.0)
    await record(deps, clock, 500.0, NEWEST - 10)  # a quote: no weight in the VWAP
    await record(deps, clock, 1.0, NEWEST, quantity=7.0, symbol="ETH")  # another asset
    daily = await use_cases.get_daily_volume(deps, "BTC")
    assert daily.window == Window(NEWEST - DAY_MILLIS, NEWEST)
    assert (daily.totals.ticks, daily.totals.trades, daily.totals.volume) == (3, 2, 4.0)
    assert daily.totals.vwap == pytest.approx((100.0 * 1 + 110.0 * 3) / 4)


async def test_the_window_edges(deps, clock):
    await record(deps, clock, 1.0, NEWEST - DAY_MILLIS, quantity=100.0)  # exactly a day: out
    await record(deps, clock, 2.0, NEWEST - DAY_MILLIS + 1, quantity=1.0)  # just inside
    await record(deps, clock, 4.0, NEWEST, quantity=1.0)  # the newest: in
    daily = await use_cases.get_daily_volume(deps, "BTC")
    assert (daily.totals.ticks, daily.totals.volume, daily.totals.vwap) == (2, 2.0, 3.0)


async def test_the_window_follows_the_newest_tick_not_the_clock(deps, clock):
    await record(deps, clock, 2.0, NEWEST, quantity=1.0)
    before = await use_cases.get_daily_volume(deps, "BTC")
    clock.advance(seconds=30 * 86_400)  # a month of silence changes nothing
    assert await use_cases.get_daily_volume(deps, "BTC") == before
    # A late tick older than the newest is counted, a newer one moves the window.
    await record(deps, clock, 4.0, NEWEST - 5, quantity=1.0)
    assert (await use_cases.get_daily_volume(deps, "BTC")).totals.volume == 2.0
    await record(deps, clock, 8.0, NEWEST + DAY_MILLIS, quantity=1.0)
    moved = await use_cases.get_daily_volume(deps, "BTC")
    assert (moved.window.end, moved.totals.volume, moved.totals.vwap) == (
        NEWEST + DAY_MILLIS,
        1.0,
        8.0,
    )


async def test_without_trades_there_is_no_vwap(deps, clock):
    await record(deps, clock, 100.0, NEWEST)
    await record(deps, clock, 200.0, NEWEST - 1)
    daily = await use_cases.get_daily_volume(deps, "BTC")
    assert (daily.totals.ticks, daily.totals.trades, daily.totals.volume) == (2, 0, 0.0)
    assert daily.totals.vwap is None


async def test_a_repeated_trade_counts_once(deps, clock):
    for _ in range(3):
        await record(deps, clock, 100.0, NEWEST, quantity=2.0, source_id="fill-1")
    daily = await use_cases.get_daily_volume(deps, "BTC")
    assert (daily.totals.trades, daily.totals.volume) == (1, 2.0)


async def test_volume_of_an_unknown_asset_is_not_found(deps, clock):
    await record(deps, clock, 1.0, NEWEST)
    with pytest.raises(NoMarketData, match="SOL"):
        await use_cases.get_daily_volume(deps, "SOL")
