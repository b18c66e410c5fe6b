"""What an error message may quote of client input."""

from __future__ import annotations

import pytest

from services.common.quoting import MAX_QUOTED_CHARACTERS, quoted

pytestmark = pytest.mark.unit


def test_short_strings_are_quoted_whole_and_escaped() -> None:
    assert quoted("ETH-USD") == "'ETH-USD'"
    assert quoted("a\nb\x00") == "'a\\nb\\x00'"
    assert quoted("\ud800") == "'\\ud800'"


def test_long_input_is_cut_to_a_prefix_that_says_how_long_the_whole_was() -> None:
    text = quoted("A" * 1_000_000)
    assert text == f"{'A' * MAX_QUOTED_CHARACTERS!r}… (1000000 characters)"
    assert quoted(b"\xff" * 100, limit=2) == "b'\\xff\\xff'… (100 bytes)"


def test_numbers_too_big_to_print_are_described() -> None:
    assert quoted(12) == "12"
    assert quoted(10**5000) == f"an integer of {(10**5000).bit_length()} bits"
    assert quoted(1.5) == "1.5"


def test_containers_are_named_by_type_only() -> None:
    assert quoted({"x": "y" * 10_000}) == "a dict"
    assert quoted([1, 2, 3]) == "a list"
