"""The trading service's rules, through its composition root with in-memory fakes."""

from __future__ import annotations

import asyncio
import math
from uuid import uuid4

import pytest

from services.common.market_data import MAX_TIMESTAMP_MS
from services.trading.bootstrap import build_deps
from services.trading.domain.errors import (
    AnalyticsBadResponse,
    AnalyticsError,
    AnalyticsRejected,
    AnalyticsTimeout,
    AnalyticsUnavailable,
    InvalidTick,
)
from services.trading.domain.model import MarketDataTick
from services.trading.service_layer import use_cases
from services.trading.service_layer.use_cases import TradingDeps
from tests.support.clock import FakeClock
from tests.unit.trading_fakes import FakeAnalytics, InMemoryTickRepository

pytestmark = pytest.mark.unit


@pytest.fixture
def repo() -> InMemoryTickRepository:
    return InMemoryTickRepository()


@pytest.fixture
def analytics(repo) -> FakeAnalytics:
    return FakeAnalytics(repo)


@pytest.fixture
def deps(repo, analytics, clock) -> TradingDeps:
    return build_deps(repo, analytics, clock=clock)


async def submit(deps, symbol="BTC", price=100.0, timestamp=1_700_000_000_000):
    return await use_cases.submit_market_data(
        deps, asset_symbol=symbol, price=price, timestamp=timestamp
    )


FAILURES = [
    AnalyticsUnavailable("ConnectionRefusedError"),
    AnalyticsTimeout(2.0),
    AnalyticsRejected("price must be > 0"),
    AnalyticsBadResponse("INTERNAL", "INTERNAL: boom"),
]

# --- the tick's rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "price", "timestamp"),
    [("BTC", 1e12, 0), ("ETH-USD", 0.000001, MAX_TIMESTAMP_MS), ("A" * 12 + "-" + "B" * 12, 1, 1)],
)
def test_valid_ticks_are_made(symbol, price, timestamp):
    tick = MarketDataTick(uuid4(), symbol, price, timestamp, FakeClock().now)
    assert isinstance(tick.price, float)  # an int from JSON is kept as the double it means


@pytest.mark.parametrize(
    ("symbol", "price", "timestamp", "rule"),
    [
        ("btc", 1.0, 1, "assetSymbol"),
        ("BTC\n", 1.0, 1, "assetSymbol"),  # passes the contract's re.search with `$`
        ("A" * 13, 1.0, 1, "assetSymbol"),
        ("BTC", 0, 1, "price"),
        ("BTC", math.nan, 1, "price"),
        ("BTC", math.inf, 1, "price"),
        ("BTC", 1e12 + 1, 1, "price"),
        ("BTC", True, 1, "price"),
        ("BTC", 1.0, -1, "timestamp"),
        ("BTC", 1.0, MAX_TIMESTAMP_MS + 1, "timestamp"),
        ("BTC", 1.0, 1.0, "timestamp"),
    ],
)
def test_invalid_ticks_are_refused_with_the_rule_they_break(symbol, price, timestamp, rule):
    with pytest.raises(InvalidTick) as refused:
        MarketDataTick(uuid4(), symbol, price, timestamp, FakeClock().now)
    assert [p.split()[0] for p in refused.value.problems] == [rule]


# --- submitting ----------------------------------------------------------------------------


async def test_a_tick_is_stored_then_forwarded_and_returned(deps, repo, analytics, clock):
    tick = await submit(deps, price=42)
    assert (tick.asset_symbol, tick.price, tick.received_at) == ("BTC", 42.0, clock.now)
    assert repo.ticks == {tick.id: tick}
    assert analytics.delivered == [tick]
    assert analytics.stored_when_sent == [True]  # persist first, then forward


async def test_every_tick_gets_a_new_id(deps, analytics):
    first, second = await submit(deps), await submit(deps)
    assert first.id != second.id
    assert [t.id for t in analytics.delivered] == [first.id, second.id]


async def test_an_invalid_tick_is_neither_stored_nor_forwarded(deps, repo, analytics):
    with pytest.raises(InvalidTick):
        await submit(deps, symbol="BTC\n")
    assert repo.ticks == {} and analytics.stored_when_sent == []


@pytest.mark.parametrize("failure", FAILURES, ids=lambda e: type(e).__name__)
async def test_when_analytics_does_not_take_the_tick_it_is_removed(deps, repo, analytics, failure):
    analytics.failure = failure
    with pytest.raises(type(failure)):
        await submit(deps)
    assert analytics.stored_when_sent == [True]
    assert repo.ticks == {}
    assert len(repo.removed) == 1


async def test_an_unexpected_sink_error_is_compensated_too(deps, repo, analytics):
    analytics.failure = RuntimeError("bug in the adapter")
    with pytest.raises(RuntimeError):
        await submit(deps)
    assert repo.ticks == {}


async def test_a_cancelled_forward_is_compensated(deps, repo, analytics):
    analytics.failure = asyncio.CancelledError()
    with pytest.raises(asyncio.CancelledError):
        await submit(deps)
    assert repo.ticks == {}


async def test_a_failed_compensation_still_reports_the_delivery_error(
    deps, repo, analytics, caplog
):
    analytics.failure = AnalyticsUnavailable("refused")
    repo.fail_removal = True
    with pytest.raises(AnalyticsUnavailable):
        await submit(deps)
    assert "could not be removed" in caplog.text


def test_unavailable_and_bad_response_keep_internals_out_of_the_message():
    unavailable = AnalyticsUnavailable("ConnectionRefusedError: ('10.0.0.7', 50051)")
    assert "10.0.0.7" not in str(unavailable) and "10.0.0.7" in unavailable.reason
    bad = AnalyticsBadResponse("INTERNAL", "INTERNAL: stack trace ...")
    assert "stack trace" not in str(bad) and "INTERNAL" in str(bad)
    assert all(isinstance(error, AnalyticsError) for error in FAILURES)


# --- listing -------------------------------------------------------------------------------


async def test_recent_ticks_are_newest_first_then_latest_received(deps, clock):
    older = await submit(deps, price=1.0, timestamp=1_000)
    clock.advance()
    newest = await submit(deps, price=2.0, timestamp=3_000)
    clock.advance()
    late = await submit(deps, price=3.0, timestamp=2_000)
    clock.advance()
    same_ts_later = await submit(deps, price=4.0, timestamp=3_000)
    await submit(deps, symbol="ETH")
    listed = await use_cases.list_market_data(deps, "BTC", limit=10)
    assert [t.id for t in listed] == [same_ts_later.id, newest.id, late.id, older.id]
    assert [t.id for t in await use_cases.list_market_data(deps, "BTC", limit=2)] == [
        same_ts_later.id,
        newest.id,
    ]
    assert await use_cases.list_market_data(deps, "DOGE", limit=10) == []
