"""What can go wrong in trading, in domain words; entrypoints map these to protocol errors."""

from __future__ import annotations


class TradingError(Exception):
    """Base of the trading service's domain errors."""


class InvalidTick(TradingError):
    def __init__(self, problems: tuple[str, ...]) -> None:
        self.problems = problems
        super().__init__("invalid market data tick: " + "; ".join(problems))


class AnalyticsError(TradingError):
    """Analytics did not take the tick; subclasses say how. Nothing was kept.

    The message is for clients; `reason` (addresses, socket errors) is for logs only."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        self.reason = reason or message
        super().__init__(message)


class AnalyticsUnavailable(AnalyticsError):
    def __init__(self, reason: str) -> None:
        super().__init__("analytics cannot be reached; nothing was kept, retry later", reason)


class AnalyticsTimeout(AnalyticsError):
    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"analytics did not answer within {seconds:g}s; nothing was kept, retry later"
        )


class AnalyticsRejected(AnalyticsError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"analytics rejected the tick: {reason}; nothing was kept")


class AnalyticsBadResponse(AnalyticsError):
    def __init__(self, status: str, reason: str) -> None:
        super().__init__(
            f"analytics answered {status}, outside its contract; nothing was kept", reason
        )
