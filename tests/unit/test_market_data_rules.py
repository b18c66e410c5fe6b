"""The tick rules every service shares: what their messages may quote of the input."""

from __future__ import annotations

import pytest

from services.common.market_data import tick_problems
from services.common.quoting import MAX_QUOTED_CHARACTERS

pytestmark = pytest.mark.unit

# A status message or a problem's detail about one bad field: a sentence, not the input.
SHORT_MESSAGE = 200


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
