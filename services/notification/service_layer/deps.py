"""Everything the use cases work with, built by bootstrap.py (with fakes in unit tests)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.notification.service_layer.ports import (
    AlertRepository,
    NotificationRepository,
    NotificationViews,
    PriceBook,
)


@dataclass(frozen=True)
class NotificationDeps:
    notifications: NotificationRepository
    alerts: AlertRepository
    prices: PriceBook
    clock: Callable[[], datetime]
    new_id: Callable[[], UUID]
    views: NotificationViews  # the hot read (notifications.notifications_view)
