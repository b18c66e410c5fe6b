"""What can go wrong in trading, in domain words; entrypoints map these to protocol errors."""

from __future__ import annotations


class TradingError(Exception):
    """Base of the trading service's domain errors."""


class InvalidTick(TradingError):
    def __init__(self, problems: tuple[str, ...]) -> None:
        self.problems = problems
        super().__init__("invalid market data tick: " + "; ".join(problems))


class DeliveryFailed(TradingError):
    """A consumer did not take a batch of ticks (down, slow, or an answer outside its
    contract); the outbox delivers the batch again later. For logs, not for clients."""

    def __init__(self, consumer: str, reason: str) -> None:
        self.consumer = consumer
        self.reason = reason
        super().__init__(f"{consumer}: {reason}")
