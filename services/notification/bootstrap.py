"""The notification service's composition root: the only place that builds its parts."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

from connexion import AsyncApp

from services.common.auth import bearer_info
from services.common.database import service_database
from services.common.jwks import jwks_token_verifier
from services.common.market_data import TickFromTheFuture
from services.common.rest_app import RestAppSpec, build_rest_app
from services.notification.adapters.alerts import TortoiseAlertRepository
from services.notification.adapters.notifications import TortoiseNotificationRepository
from services.notification.adapters.prices import TortoisePriceBook
from services.notification.config import NotificationSettings
from services.notification.domain.errors import (
    AlertLimitReached,
    AlertNotFound,
    EventConflict,
    InvalidAlert,
    InvalidEvent,
    InvalidTick,
    NotificationNotFound,
    TickContention,
)
from services.notification.entrypoints.rest import NotificationHandlers
from services.notification.service_layer.deps import NotificationDeps
from services.notification.service_layer.ports import (
    AlertRepository,
    NotificationRepository,
    NotificationViews,
    PriceBook,
)

SERVICE = "notification"
API_PREFIX = "/api/notifications"
ERROR_STATUSES = {
    InvalidEvent: 400,
    InvalidAlert: 400,
    InvalidTick: 400,
    TickFromTheFuture: 422,  # well-formed, but not now
    NotificationNotFound: 404,
    AlertNotFound: 404,
    EventConflict: 409,
    AlertLimitReached: 409,
    TickContention: 503,
}


def build_deps(
    notifications: NotificationRepository,
    alerts: AlertRepository,
    prices: PriceBook,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    new_id: Callable[[], UUID] = uuid.uuid4,
    views: NotificationViews | None = None,
) -> NotificationDeps:
    """Without `views`, the read models of the notifications' own database."""
    return NotificationDeps(
        notifications=notifications,
        alerts=alerts,
        prices=prices,
        clock=clock,
        new_id=new_id,
        views=views or notifications.views(),
    )


def bootstrap(settings: NotificationSettings, deps: NotificationDeps | None = None) -> AsyncApp:
    """The notification REST app. Tests pass `deps` with fakes; by default it uses its own
    database."""
    database = service_database(SERVICE, settings) if deps is None else None
    deps = deps or build_deps(
        TortoiseNotificationRepository(), TortoiseAlertRepository(), TortoisePriceBook()
    )
    return build_rest_app(
        RestAppSpec(
            service=SERVICE,
            api_prefix=API_PREFIX,
            handlers=NotificationHandlers(deps),
            database=database,
            settings=settings,
            error_statuses=ERROR_STATUSES,
            verify_token=bearer_info(jwks_token_verifier(settings)),
        )
    )
