"""What can go wrong in trading, in domain words; entrypoints map these to protocol errors."""

from __future__ import annotations


class TradingError(Exception):
    """Base of the trading service's domain errors."""


class InvalidTick(TradingError):
    def __init__(self, problems: tuple[str, ...]) -> None:
        self.problems = problems
        super().__init__("invalid market data tick: " + "; ".join(problems))
