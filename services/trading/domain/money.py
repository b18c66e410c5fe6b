"""Money as the marketplace keeps it: USD in whole cents, so sums are exact everywhere (in
Python, on SQLite and on PostgreSQL); on the wire a decimal string with two places."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from services.trading.domain.errors import InvalidAmount

CURRENCY = "USD"
# The contract's Money and PositiveMoney patterns (what a client may send or be shown).
_TEXT = re.compile(r"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$")
MAX_PRICE_CENTS = 1_000_000_00  # a price or a deposit: at most 1,000,000.00
MAX_BALANCE_CENTS = 999_999_999_999_99  # the largest amount the contract can show


@dataclass(frozen=True, order=True)
class Money:
    cents: int

    def __post_init__(self) -> None:
        if not isinstance(self.cents, int) or isinstance(self.cents, bool) or self.cents < 0:
            raise ValueError(f"money is a whole, non-negative number of cents: {self.cents!r}")

    @classmethod
    def parse(cls, text: str, field: str = "amount") -> Money:
        """A decimal string with at most two decimals (no sign, no exponent, no spaces)."""
        if not isinstance(text, str) or not _TEXT.fullmatch(text):
            raise InvalidAmount(field, "is not a decimal string with at most two decimals")
        return cls(int(Decimal(text).scaleb(2)))

    @classmethod
    def positive(cls, text: str, field: str) -> Money:
        """A price or a deposit: more than zero and at most MAX_PRICE_CENTS."""
        money = cls.parse(text, field)
        if money.cents <= 0:
            raise InvalidAmount(field, "must be more than 0")
        if money.cents > MAX_PRICE_CENTS:
            raise InvalidAmount(field, "must be at most 1000000.00")
        return money

    @property
    def amount(self) -> Decimal:
        return Decimal(self.cents).scaleb(-2)

    def __str__(self) -> str:
        return f"{self.amount:.2f}"

    def __float__(self) -> float:
        return float(self.amount)

    def __add__(self, other: Money) -> Money:
        return Money(self.cents + other.cents)

    def __sub__(self, other: Money) -> Money:
        return Money(self.cents - other.cents)  # negative results are refused by __post_init__


ZERO = Money(0)
