"""What the use cases need from the outside world. Every read takes the user it is for: no
port hands out another user's notifications or alerts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from services.notification.domain.alerts import PriceAlert
from services.notification.domain.notifications import Notification
from services.notification.domain.prices import PriceTick


class NotificationViews(Protocol):
    """The hot read, answered in the contract's JSON straight from storage: exactly what the
    mappers make of the repository's notifications."""

    async def for_user(
        self, user_id: UUID, *, unread_only: bool, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        """As `NotificationRepository.list_for`."""
        ...


class NotificationRepository(Protocol):
    def views(self) -> NotificationViews:
        """The read models of this same database."""
        ...

    async def add(self, notification: Notification) -> bool:
        """Store it; False, storing nothing, when its (event id, user id) is already stored
        (also when a concurrent copy got there first)."""
        ...

    async def get_by_event(self, event_id: UUID, user_id: UUID) -> Notification | None: ...

    async def get(self, notification_id: UUID, user_id: UUID) -> Notification | None: ...

    async def list_for(
        self, user_id: UUID, *, unread_only: bool, limit: int, offset: int
    ) -> Sequence[Notification]:
        """The user's notifications, newest delivered first."""
        ...

    async def mark_read(self, notification_id: UUID, user_id: UUID, at: datetime) -> None:
        """Set read_at if the user's notification is unread; otherwise change nothing."""
        ...


class AlertRepository(Protocol):
    async def add(self, alert: PriceAlert) -> None: ...

    async def count_armed(self, user_id: UUID) -> int: ...

    async def list_for(self, user_id: UUID, *, limit: int, offset: int) -> Sequence[PriceAlert]:
        """The user's alerts, armed and fired, newest first."""
        ...

    async def delete(self, alert_id: UUID, user_id: UUID) -> bool:
        """False when the user has no such alert."""
        ...

    async def armed_between(self, asset_symbol: str, low: float, high: float) -> list[PriceAlert]:
        """The asset's armed alerts with low <= threshold <= high (a superset of those a move
        between low and high crosses; the domain decides which do)."""
        ...


@dataclass(frozen=True)
class Firing:
    """An alert a tick crossed: the alert as disarmed, and the notification it raises."""

    alert: PriceAlert
    notification: Notification


class PriceBook(Protocol):
    async def last_tick(self, asset_symbol: str) -> PriceTick | None:
        """The asset's last applied tick; None when it has never been priced."""
        ...

    async def apply(
        self, tick: PriceTick, *, previous: PriceTick | None, firings: Sequence[Firing]
    ) -> frozenset[UUID] | None:
        """In one transaction: make `tick` the asset's last tick provided `previous` still is,
        disarm the fired alerts that are still armed, and store a notification for each of
        them (one already stored is kept). Answers the alerts it disarmed; None, changing
        nothing, when another tick replaced `previous` first. The firings may come from
        several ticks of the asset leading up to `tick` (a batch), each alert at most once."""
        ...
