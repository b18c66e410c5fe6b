"""The trading service's rules, through its composition root with in-memory fakes."""

from __future__ import annotations

import math
from uuid import uuid4

import pytest

from services.common.market_data import MAX_FUTURE_SKEW, MAX_TIMESTAMP_MS, TickFromTheFuture
from services.common.outbox import InMemoryOutboxStore
from services.trading.bootstrap import build_deps
from services.trading.domain.errors import InvalidTick
from services.trading.domain.ticks import MarketDataTick
from services.trading.service_layer import ticks
from services.trading.service_layer.deps import TradingDeps
from tests.support.clock import FakeClock
from tests.unit.trading_fakes import InMemoryTickRepository, RecordingTransaction

pytestmark = pytest.mark.unit


@pytest.fixture
def repo() -> InMemoryTickRepository:
    return InMemoryTickRepository()


@pytest.fixture
def outbox(clock) -> InMemoryOutboxStore:
    return InMemoryOutboxStore(clock)


@pytest.fixture
def transaction(repo, outbox) -> RecordingTransaction:
    return RecordingTransaction(repo, outbox)


@pytest.fixture
def wakeups() -> list[str]:
    return []


@pytest.fixture
def deps(repo, outbox, transaction, wakeups, clock) -> TradingDeps:
    return build_deps(
        repo, outbox, transaction, wake_relay=lambda: wakeups.append("wake"), clock=clock
    )


async def submit(deps, symbol="BTC", price=100.0, timestamp=1_700_000_000_000):
    return await ticks.submit_market_data(
        deps, asset_symbol=symbol, price=price, timestamp=timestamp
    )


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


@pytest.mark.parametrize("quantity", [0, 0.0, -0.0, 2.5, 10**15, 1e15])
def test_a_quantity_from_zero_to_the_bound_is_kept_as_a_double(quantity):
    tick = MarketDataTick(uuid4(), "BTC", 1.0, 1, FakeClock().now, quantity=quantity)
    assert tick.quantity == quantity and type(tick.quantity) is float


@pytest.mark.parametrize(
    "quantity", [-1, -1e-300, math.nan, math.inf, 1e15 * (1 + 2**-52), 10**15 + 1, 10**400, True]
)
def test_a_quantity_outside_the_bound_is_refused(quantity):
    with pytest.raises(InvalidTick) as refused:
        MarketDataTick(uuid4(), "BTC", 1.0, 1, FakeClock().now, quantity=quantity)
    assert refused.value.problems == ("quantity",)


# --- submitting ----------------------------------------------------------------------------


async def test_a_tick_is_stored_and_queued_for_every_consumer_in_one_transaction(
    deps, repo, outbox, transaction, wakeups, clock
):
    tick = await submit(deps, price=42)
    assert (tick.asset_symbol, tick.price, tick.received_at) == ("BTC", 42.0, clock.now)
    assert repo.ticks == {tick.id: tick}
    assert transaction.commits == [(1, 2)]  # the tick and its two messages together
    payload = {
        "id": str(tick.id),
        "assetSymbol": "BTC",
        "price": 42.0,
        "timestamp": 1_700_000_000_000,
        "quantity": 0.0,
    }
    queued = sorted((m.topic, m.payload) for m in outbox.messages.values())
    assert queued == [
        ("analytics.ticks", payload),
        ("notification.price-ticks", payload),
    ]
    assert wakeups == ["wake"]  # after the commit: the relay delivers at once


async def test_every_tick_gets_a_new_id_and_is_queued_in_order(deps, outbox):
    first, second = await submit(deps), await submit(deps)
    assert first.id != second.id
    analytics = await outbox.pending("analytics.ticks", 10)
    assert [m.payload["id"] for m in analytics] == [str(first.id), str(second.id)]


async def test_an_invalid_tick_is_neither_stored_nor_queued(deps, repo, outbox, wakeups):
    with pytest.raises(InvalidTick):
        await submit(deps, symbol="BTC\n")
    assert repo.ticks == {} and outbox.messages == {} and wakeups == []


async def test_a_tick_up_to_the_skew_ahead_of_the_clock_is_taken(deps, clock):
    ahead = int((clock.now + MAX_FUTURE_SKEW).timestamp() * 1000)
    assert (await submit(deps, timestamp=ahead)).timestamp == ahead


async def test_a_tick_from_the_future_is_neither_stored_nor_queued(
    deps, repo, outbox, wakeups, clock
):
    """Consumers keep the newest tick per asset: one stamped in 2100 would freeze them."""
    with pytest.raises(TickFromTheFuture) as refused:
        await submit(deps, timestamp=MAX_TIMESTAMP_MS)
    assert "ahead of this server's clock" in str(refused.value)
    assert repo.ticks == {} and outbox.messages == {} and wakeups == []
    just_beyond = int((clock.now + MAX_FUTURE_SKEW).timestamp() * 1000) + 1
    with pytest.raises(TickFromTheFuture):
        await submit(deps, timestamp=just_beyond)


async def test_a_failed_write_wakes_no_relay(deps, outbox, wakeups):
    async def broken(topic, payload):
        raise ConnectionError("database went away")

    outbox.add = broken
    with pytest.raises(ConnectionError):
        await submit(deps)
    assert wakeups == []


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
    listed = await ticks.list_market_data(deps, "BTC", limit=10)
    assert [t.id for t in listed] == [same_ts_later.id, newest.id, late.id, older.id]
    assert [t.id for t in await ticks.list_market_data(deps, "BTC", limit=2)] == [
        same_ts_later.id,
        newest.id,
    ]
    assert await ticks.list_market_data(deps, "DOGE", limit=10) == []
