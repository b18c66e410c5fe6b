"""The tick rules every service shares: what their messages may quote of the input, and how
far ahead of the receiving server's clock a tick may be stamped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.market_data import (
    ASSET_SYMBOL,
    MAX_FUTURE_SKEW,
    MAX_PRICE,
    MAX_TIMESTAMP_MS,
    TickFromTheFuture,
    future_problems,
    is_valid_tick,
    refuse_ticks_from_the_future,
    rule_breaks,
    tick_problems,
)
from services.common.quoting import MAX_QUOTED_CHARACTERS
from tests.support.clock import FakeClock

pytestmark = pytest.mark.unit

# A status message or a problem's detail about one bad field: a sentence, not the input.
SHORT_MESSAGE = 200
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def millis(clock: FakeClock, ahead: timedelta = timedelta()) -> int:
    return int((clock.now + ahead).timestamp() * 1000)


def test_a_megabyte_symbol_is_quoted_as_a_short_prefix_and_its_length() -> None:
    [problem] = tick_problems("x" * 1_000_000, 1.0, 1, symbol_field="assetSymbol")
    assert len(problem) < SHORT_MESSAGE
    assert f"{'x' * MAX_QUOTED_CHARACTERS!r}… (1000000 characters)" in problem


def test_control_characters_of_a_symbol_are_escaped() -> None:
    [problem] = tick_problems("BTC\n\x1b[2J", 1.0, 1, symbol_field="asset_symbol")
    assert "'BTC\\n\\x1b[2J'" in problem
    assert "\n" not in problem and "\x1b" not in problem


@pytest.mark.parametrize(
    ("price", "timestamp", "field"),
    [(10**5000, 1, "price an integer of"), (1.0, 10**5000, "timestamp an integer of")],
    ids=["price", "timestamp"],
)
def test_numbers_too_big_to_print_are_described(price, timestamp, field) -> None:
    [problem] = tick_problems("BTC", price, timestamp, symbol_field="assetSymbol")
    assert problem.startswith(field)
    assert len(problem) < SHORT_MESSAGE


def test_a_tick_may_be_stamped_up_to_the_skew_ahead_of_the_clock(clock) -> None:
    assert future_problems(millis(clock), now=clock()) == []
    assert future_problems(millis(clock, MAX_FUTURE_SKEW), now=clock()) == []
    assert future_problems(0, now=clock()) == []  # the past is anyone's


def test_a_millisecond_beyond_the_skew_is_refused_and_says_by_how_much(clock) -> None:
    [problem] = future_problems(millis(clock, MAX_FUTURE_SKEW) + 1, now=clock())
    assert problem.startswith(f"timestamp {millis(clock, MAX_FUTURE_SKEW) + 1} is 300 s ahead")
    assert "at most 300 s in the future" in problem


def test_a_tick_stamped_in_2100_is_refused_until_the_clock_gets_there(clock) -> None:
    assert future_problems(MAX_TIMESTAMP_MS, now=clock())
    clock.now = EPOCH + timedelta(milliseconds=MAX_TIMESTAMP_MS) - MAX_FUTURE_SKEW
    assert future_problems(MAX_TIMESTAMP_MS, now=clock()) == []


def test_every_receiver_refuses_a_tick_from_the_future_with_one_error(clock) -> None:
    refuse_ticks_from_the_future(millis(clock, MAX_FUTURE_SKEW), now=clock())
    with pytest.raises(TickFromTheFuture) as refused:
        refuse_ticks_from_the_future(MAX_TIMESTAMP_MS, now=clock())
    assert refused.value.problems == tuple(future_problems(MAX_TIMESTAMP_MS, now=clock()))
    assert str(refused.value).startswith("invalid market data tick: timestamp")


# --- the fast path: every tick of a feed is checked by is_valid_tick first -------------------

_SYMBOLS = st.one_of(
    st.from_regex(ASSET_SYMBOL, fullmatch=True),
    st.text(alphabet="AZ09-\n az", max_size=30),
    st.sampled_from(["BTC", "ETH-USD", "A" * 12, "A" * 13, "A-" + "B" * 12, "BTC\n", "", "-"]),
    st.builds(str.upper, st.text(max_size=26)),
    st.integers(),
    st.none(),
)
_PRICES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 0.0, -0.0, 5e-324, MAX_PRICE, MAX_PRICE + 1, 10**12, 10**12 + 1, True]),
    st.text(max_size=3),
)
_TIMESTAMPS = st.one_of(
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from([0, -1, MAX_TIMESTAMP_MS, MAX_TIMESTAMP_MS + 1, False, True, 1.0]),
    st.floats(),
)


@settings(max_examples=1000, deadline=None)
@given(symbol=_SYMBOLS, price=_PRICES, timestamp=_TIMESTAMPS)
def test_the_fast_path_passes_exactly_the_plain_ticks_the_rules_pass(
    symbol: object, price: object, timestamp: object
) -> None:
    broken = rule_breaks(symbol, price, timestamp, symbol_field="assetSymbol")
    plain = type(symbol) is str and type(price) in (int, float) and type(timestamp) is int
    assert is_valid_tick(symbol, price, timestamp) == (plain and not broken)
    assert tick_problems(symbol, price, timestamp, symbol_field="assetSymbol") == broken


def test_the_fast_path_keeps_no_long_text() -> None:
    assert not is_valid_tick("A" * 26, 1.0, 1)
    assert not is_valid_tick("A" * 1_000_000, 1.0, 1)
    assert not is_valid_tick("BTC\n", 1.0, 1)  # fullmatch, never `$`
