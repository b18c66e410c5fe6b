"""What can go wrong in analytics, in domain words; entrypoints map these to protocol errors."""

from __future__ import annotations

from services.common.quoting import quoted


class AnalyticsError(Exception):
    """Base of the analytics service's domain errors."""


class InvalidTick(AnalyticsError):
    def __init__(self, problems: tuple[str, ...]) -> None:
        self.problems = problems
        super().__init__("invalid market data tick: " + "; ".join(problems))


class NoMarketData(AnalyticsError):
    def __init__(self, asset_symbol: str) -> None:
        super().__init__(f"no market data received for asset {quoted(asset_symbol)}")


class InvalidQuery(AnalyticsError):
    """A question analytics cannot answer as asked (a moment it cannot read, say)."""


class BatchRefused(AnalyticsError):
    """A batch of ticks was refused whole because one tick in it is not acceptable."""

    def __init__(self, index: int, problems: tuple[str, ...]) -> None:
        self.index = index  # the tick's place in the batch
        self.problems = problems
        super().__init__(f"tick {index}: " + "; ".join(problems))
