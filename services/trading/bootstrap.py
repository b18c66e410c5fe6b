"""The trading service's composition root: the only place that builds its parts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from datetime import UTC, datetime
from functools import partial
from uuid import UUID

from connexion import AsyncApp
from tortoise.transactions import in_transaction

from services.common.auth import bearer_info
from services.common.database import service_database
from services.common.jwks import jwks_token_verifier
from services.common.outbox import OutboxRelay, Topic
from services.common.outbox_orm import TortoiseOutboxStore
from services.common.rest_app import RestAppSpec, build_rest_app
from services.trading.adapters.analytics_client import AnalyticsDelivery, channel_to
from services.trading.adapters.notification_client import NotificationDelivery
from services.trading.adapters.orm import OutboxMessage
from services.trading.adapters.repository import TortoiseTickRepository
from services.trading.config import TradingSettings
from services.trading.domain.errors import InvalidTick
from services.trading.entrypoints.rest import TradingHandlers
from services.trading.service_layer.ports import Outbox, TickRepository, UnitOfWork
from services.trading.service_layer.use_cases import (
    ANALYTICS_TOPIC,
    NOTIFICATION_TOPIC,
    TradingDeps,
)

SERVICE = "trading"
ERROR_STATUSES = {InvalidTick: 400}


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_deps(
    ticks: TickRepository,
    outbox: Outbox,
    transaction: UnitOfWork = nullcontext,
    wake_relay: Callable[[], None] = lambda: None,
    clock: Callable[[], datetime] = utc_now,
    new_id: Callable[[], UUID] = uuid.uuid4,
) -> TradingDeps:
    return TradingDeps(
        ticks=ticks,
        outbox=outbox,
        transaction=transaction,
        wake_relay=wake_relay,
        clock=clock,
        new_id=new_id,
    )


def build_relay(
    settings: TradingSettings, analytics: AnalyticsDelivery, notification: NotificationDelivery
) -> OutboxRelay:
    return OutboxRelay(
        store=TortoiseOutboxStore(OutboxMessage, utc_now),
        topics=[
            Topic(ANALYTICS_TOPIC, analytics, batch_size=settings.analytics_batch_size),
            Topic(NOTIFICATION_TOPIC, notification, batch_size=settings.notification_batch_size),
        ],
        clock=utc_now,
        policy=settings.relay_policy,
    )


def bootstrap(settings: TradingSettings, deps: TradingDeps | None = None) -> AsyncApp:
    """The trading REST app. Tests pass `deps` with fakes (and no relay); by default it uses
    its own database and delivers from its outbox to analytics and notification."""
    real = deps is None
    resources: Callable[[], AbstractAsyncContextManager[None]] = nullcontext
    if deps is None:
        analytics = AnalyticsDelivery(
            channel_to(*settings.analytics_endpoint), timeout=settings.analytics_timeout_seconds
        )
        notification = NotificationDelivery(
            settings.notification_addr, settings.notification_timeout_seconds
        )
        relay = build_relay(settings, analytics, notification)
        deps = build_deps(
            TortoiseTickRepository(),
            relay.store,
            transaction=partial(in_transaction, SERVICE),
            wake_relay=relay.wake,
        )
        resources = partial(_delivering, analytics, notification, relay)
    return build_rest_app(
        RestAppSpec(
            service=SERVICE,
            api_prefix="/api/trading",
            handlers=TradingHandlers(deps),
            # Readiness is its own database only: submits are taken (and queued) while
            # analytics or notification are down.
            database=service_database(SERVICE, settings) if real else None,
            resources=resources,
            error_statuses=ERROR_STATUSES,
            verify_token=bearer_info(jwks_token_verifier(settings)),
            validate_responses=settings.validate_responses,
            idempotency_ttl_seconds=settings.idempotency_ttl_seconds,
        )
    )


@asynccontextmanager
async def _delivering(
    analytics: AnalyticsDelivery, notification: NotificationDelivery, relay: OutboxRelay
) -> AsyncIterator[None]:
    # Inside the lifespan, after the database is open; the relay stops before it closes.
    try:
        async with analytics.connected(), relay.running():
            yield
    finally:
        await notification.aclose()
