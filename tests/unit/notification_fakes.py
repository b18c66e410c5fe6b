"""In-memory stand-ins for the notification service's ports, sharing one store as the three
Tortoise adapters share one database (a tick's firing touches alerts and notifications); and
the REST app on them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from connexion import AsyncApp

from services.notification.bootstrap import bootstrap, build_deps
from services.notification.config import NotificationSettings
from services.notification.domain.alerts import PriceAlert
from services.notification.domain.notifications import Notification
from services.notification.domain.prices import PriceTick
from services.notification.mappers import notification_to_contract
from services.notification.service_layer.ports import Firing, NotificationRepository
from tests.support.tokens import jwks_url


@dataclass
class Store:
    notifications: dict[UUID, Notification] = field(default_factory=dict)
    alerts: dict[UUID, PriceAlert] = field(default_factory=dict)
    prices: dict[str, PriceTick] = field(default_factory=dict)


class MappedNotificationViews:
    """The read model as the domain path answers it: the repository's notifications through
    the mappers. On the fakes it is the view; on a real database, what SqlNotificationViews
    must equal."""

    def __init__(self, repository: NotificationRepository) -> None:
        self._repository = repository

    async def for_user(
        self, user_id: UUID, *, unread_only: bool, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        found = await self._repository.list_for(
            user_id, unread_only=unread_only, limit=limit, offset=offset
        )
        return [notification_to_contract(n) for n in found]


class InMemoryNotifications:
    def __init__(self, store: Store) -> None:
        self.store = store

    def views(self) -> MappedNotificationViews:
        return MappedNotificationViews(self)

    async def add(self, notification: Notification) -> bool:
        if await self.get_by_event(notification.event.event_id, notification.user_id):
            return False
        self.store.notifications[notification.id] = notification
        return True

    async def get_by_event(self, event_id: UUID, user_id: UUID) -> Notification | None:
        return next(
            (
                n
                for n in self.store.notifications.values()
                if n.event.event_id == event_id and n.user_id == user_id
            ),
            None,
        )

    async def get(self, notification_id: UUID, user_id: UUID) -> Notification | None:
        found = self.store.notifications.get(notification_id)
        return found if found and found.user_id == user_id else None

    async def list_for(
        self, user_id: UUID, *, unread_only: bool, limit: int, offset: int
    ) -> Sequence[Notification]:
        mine = [
            n
            for n in self.store.notifications.values()
            if n.user_id == user_id and not (unread_only and n.read_at)
        ]
        mine.sort(key=lambda n: (n.created_at, str(n.id)), reverse=True)
        return mine[offset : offset + limit]

    async def mark_read(self, notification_id: UUID, user_id: UUID, at: datetime) -> None:
        found = await self.get(notification_id, user_id)
        if found:
            self.store.notifications[notification_id] = found.read(at)


class InMemoryAlerts:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(self, alert: PriceAlert) -> None:
        self.store.alerts[alert.id] = alert

    async def count_armed(self, user_id: UUID) -> int:
        return sum(a.user_id == user_id and a.armed for a in self.store.alerts.values())

    async def list_for(self, user_id: UUID, *, limit: int, offset: int) -> Sequence[PriceAlert]:
        mine = [a for a in self.store.alerts.values() if a.user_id == user_id]
        mine.sort(key=lambda a: (a.created_at, str(a.id)), reverse=True)
        return mine[offset : offset + limit]

    async def delete(self, alert_id: UUID, user_id: UUID) -> bool:
        found = self.store.alerts.get(alert_id)
        if found is None or found.user_id != user_id:
            return False
        del self.store.alerts[alert_id]
        return True

    async def armed_between(self, asset_symbol: str, low: float, high: float) -> list[PriceAlert]:
        return [
            a
            for a in self.store.alerts.values()
            if a.asset_symbol == asset_symbol and a.armed and low <= a.threshold <= high
        ]


class InMemoryPriceBook:
    def __init__(self, store: Store) -> None:
        self.store = store
        # Ticks another writer applies between a use case's read and its write, one per apply.
        self.racing_ticks: list[PriceTick] = []
        self.applies = 0

    async def last_tick(self, asset_symbol: str) -> PriceTick | None:
        return self.store.prices.get(asset_symbol)

    async def apply(
        self, tick: PriceTick, *, previous: PriceTick | None, firings: Sequence[Firing]
    ) -> frozenset[UUID] | None:
        self.applies += 1
        if self.racing_ticks:
            racer = self.racing_ticks.pop(0)
            self.store.prices[racer.asset_symbol] = racer
        if self.store.prices.get(tick.asset_symbol) != previous:
            return None
        self.store.prices[tick.asset_symbol] = tick
        fired: set[UUID] = set()
        for firing in firings:
            stored = self.store.alerts.get(firing.alert.id)
            if stored is None or not stored.armed:
                continue
            self.store.alerts[stored.id] = firing.alert
            notification = firing.notification
            if not any(
                n.event.event_id == notification.event.event_id and n.user_id == stored.user_id
                for n in self.store.notifications.values()
            ):
                self.store.notifications[notification.id] = notification
            fired.add(stored.id)
        return frozenset(fired)


@dataclass
class FakeDatabase:
    """The three fakes over one store, as bootstrap.build_deps takes them."""

    store: Store = field(default_factory=Store)

    def __post_init__(self) -> None:
        self.notifications = InMemoryNotifications(self.store)
        self.alerts = InMemoryAlerts(self.store)
        self.prices = InMemoryPriceBook(self.store)


def notification_app(db: FakeDatabase | None = None) -> AsyncApp:
    """notification's REST app on `db` (a new one unless given), its answers validated against
    the contract, trusting the test tokens (tests.support.tokens)."""
    settings = NotificationSettings(validate_responses=True, jwks_url=jwks_url())
    db = FakeDatabase() if db is None else db
    return bootstrap(settings, deps=build_deps(db.notifications, db.alerts, db.prices))
