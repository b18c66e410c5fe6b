"""What can go wrong with notifications and alerts, in domain words; entrypoints map these to
protocol errors."""

from __future__ import annotations

from uuid import UUID

from services.common.quoting import quoted


class NotificationError(Exception):
    """Base of the notification service's domain errors."""


class InvalidEvent(NotificationError):
    def __init__(self, problem: str) -> None:
        super().__init__(f"invalid notification event: {problem}")


class EventConflict(NotificationError):
    def __init__(self, event_id: UUID) -> None:
        super().__init__(
            f"event {event_id} was already delivered to this user with a different body; "
            "an event id names one event"
        )


class NotificationNotFound(NotificationError):
    def __init__(self, notification_id: UUID) -> None:
        super().__init__(f"notification {notification_id} does not exist")


class InvalidAlert(NotificationError):
    def __init__(self, problems: tuple[str, ...]) -> None:
        super().__init__("invalid price alert: " + "; ".join(problems))


class AlertNotFound(NotificationError):
    def __init__(self, alert_id: UUID) -> None:
        super().__init__(f"price alert {alert_id} does not exist")


class AlertLimitReached(NotificationError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"you have {limit} armed price alerts, the most allowed; delete one first")


class InvalidTick(NotificationError):
    def __init__(self, problems: tuple[str, ...]) -> None:
        self.problems = problems
        super().__init__("invalid price tick: " + "; ".join(problems))


class TickContention(NotificationError):
    """Other ticks of the same asset kept winning the race to move its price."""

    def __init__(self, asset_symbol: str) -> None:
        super().__init__(f"too many concurrent ticks for {quoted(asset_symbol)}; retry")
