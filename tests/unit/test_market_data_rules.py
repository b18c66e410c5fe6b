"""The tick rules every service shares: what their messages may quote of the input, and how
far ahead of the receiving server's clock a tick may be stamped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.common.market_data import (
    MAX_FUTURE_SKEW,
    MAX_TIMESTAMP_MS,
    TickFromTheFuture,
    future_problems,
    refuse_ticks_from_the_future,
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
