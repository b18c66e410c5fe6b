"""The trading service's composition root: the only place that builds its parts."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from uuid import UUID

from connexion import AsyncApp
from tortoise.transactions import in_transaction

from services.common.auth import bearer_info
from services.common.database import service_database
from services.common.jwks import jwks_token_verifier
from services.common.market_data import TickFromTheFuture
from services.common.metrics import AppMetrics
from services.common.notification_events import NotificationEventDelivery
from services.common.outbox import OutboxRelay, Topic
from services.common.outbox_metrics import OutboxMetrics
from services.common.outbox_orm import TortoiseOutboxStore
from services.common.rest_app import RestAppSpec, build_rest_app
from services.common.time_ordered_ids import time_ordered_ids
from services.trading.adapters.analytics_client import AnalyticsDelivery, channel_to
from services.trading.adapters.listing_repository import TortoiseListingRepository
from services.trading.adapters.nft_marketplace import RestNftMarketplace
from services.trading.adapters.notification_client import NotificationDelivery
from services.trading.adapters.orm import OutboxMessage
from services.trading.adapters.payment_provider import FakePaymentProvider
from services.trading.adapters.purchase_metrics import PurchaseStateGauge
from services.trading.adapters.purchase_repository import (
    TortoisePurchaseRepository,
    TortoiseSaleRepository,
)
from services.trading.adapters.tick_repository import TortoiseTickRepository
from services.trading.adapters.wallet_repository import TortoiseWalletRepository
from services.trading.config import TradingSettings
from services.trading.domain import errors
from services.trading.entrypoints.handlers import TradingHandlers
from services.trading.service_layer.deps import MarketplacePorts, TradingDeps
from services.trading.service_layer.ports import Outbox, TickRepository, UnitOfWork
from services.trading.service_layer.resumer import PurchaseResumer, ResumePolicy
from services.trading.service_layer.topics import (
    ANALYTICS_TOPIC,
    NOTIFICATION_EVENTS_TOPIC,
    NOTIFICATION_TOPIC,
)

SERVICE = "trading"
ERROR_STATUSES: dict[type[Exception], int] = {
    errors.InvalidTick: 400,
    TickFromTheFuture: 422,  # well-formed, but not now
    errors.InvalidAmount: 400,
    errors.ListingNotFound: 404,
    errors.PurchaseNotFound: 404,
    errors.NotTheSeller: 403,
    errors.NotAParty: 403,
    errors.NftAlreadyListed: 409,
    errors.ListingNotActive: 409,
    errors.OwnListing: 409,
    errors.InsufficientFunds: 409,
    errors.WalletLimitExceeded: 409,
    errors.PaymentDeclined: 409,
    errors.PurchaseFailed: 409,
    errors.NftForbidden: 403,
    errors.NftNotFound: 404,
    errors.NftConflict: 409,
    errors.NftServiceUnavailable: 503,
}


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_deps(
    ticks: TickRepository,
    outbox: Outbox,
    transaction: UnitOfWork = nullcontext,
    wake_relay: Callable[[], None] = lambda: None,
    clock: Callable[[], datetime] = utc_now,
    new_id: Callable[[], UUID] | None = None,
    market: MarketplacePorts | None = None,
) -> TradingDeps:
    """The use cases' dependencies; without `market`, market data only (tests of ticks).
    Ids are time-ordered by default: a tick's id is its source_id at analytics, whose unique
    index then grows at its end (random ids made each insert a random index write)."""
    return TradingDeps(
        ticks=ticks,
        outbox=outbox,
        transaction=transaction,
        wake_relay=wake_relay,
        clock=clock,
        new_id=new_id or time_ordered_ids(),
        market=market,
    )


def build_marketplace(settings: TradingSettings, nft: RestNftMarketplace) -> MarketplacePorts:
    return MarketplacePorts(
        wallets=TortoiseWalletRepository(),
        listings=TortoiseListingRepository(),
        purchases=TortoisePurchaseRepository(),
        sales=TortoiseSaleRepository(),
        nft=nft,
        # The place a real payment provider's adapter plugs in.
        payments=FakePaymentProvider(),
        retry_after_seconds=max(1, math.ceil(settings.purchase_resume_seconds)),
    )


def resume_policy(settings: TradingSettings) -> ResumePolicy:
    return ResumePolicy(
        interval_seconds=settings.purchase_resume_seconds,
        stale_after_seconds=settings.purchase_stale_seconds,
    )


@dataclass(frozen=True)
class Consumers:
    analytics: AnalyticsDelivery
    notification: NotificationDelivery
    events: NotificationEventDelivery


def build_relay(settings: TradingSettings, consumers: Consumers) -> OutboxRelay:
    batch = settings.notification_batch_size
    return OutboxRelay(
        store=TortoiseOutboxStore(OutboxMessage, utc_now),
        topics=[
            # Counted in ticks: a message is one tick or a bundle of a POSTed batch's ticks.
            Topic(
                ANALYTICS_TOPIC,
                consumers.analytics,
                batch_size=settings.analytics_batch_size,
                max_items=settings.analytics_batch_size,
            ),
            Topic(
                NOTIFICATION_TOPIC,
                consumers.notification,
                batch_size=settings.notification_ticks_batch_size,
                max_items=settings.notification_ticks_batch_size,
            ),
            Topic(NOTIFICATION_EVENTS_TOPIC, consumers.events, batch_size=batch),
        ],
        clock=utc_now,
        policy=settings.relay_policy,
    )


def bootstrap(settings: TradingSettings, deps: TradingDeps | None = None) -> AsyncApp:
    """The trading REST app. Tests pass `deps` with fakes (and no relay); by default it uses
    its own database and delivers from its outbox to analytics and notification."""
    real = deps is None
    resources: Callable[[], AbstractAsyncContextManager[None]] = nullcontext
    metrics = AppMetrics(SERVICE)  # REST, and the outbox's figures when it relays
    if deps is None:
        consumers = Consumers(
            AnalyticsDelivery(
                channel_to(settings.analytics_endpoint),
                timeout=settings.analytics_timeout_seconds,
            ),
            NotificationDelivery(settings.notification_addr, settings.notification_timeout_seconds),
            NotificationEventDelivery(
                settings.notification_addr, settings.notification_timeout_seconds
            ),
        )
        relay = build_relay(settings, consumers)
        OutboxMetrics(metrics, relay, utc_now)
        nft = RestNftMarketplace(settings.nft_addr, settings.nft_timeout_seconds)
        deps = build_deps(
            TortoiseTickRepository(),
            relay.store,
            transaction=partial(in_transaction, SERVICE),
            wake_relay=relay.wake,
            market=build_marketplace(settings, nft),
        )
        PurchaseStateGauge(metrics, TortoisePurchaseRepository().count_by_status)
        resumer = PurchaseResumer(deps, resume_policy(settings))
        resources = partial(_running, consumers, relay, nft, resumer)
    return build_rest_app(
        RestAppSpec(
            service=SERVICE,
            api_prefix="/api/trading",
            handlers=TradingHandlers(deps),
            # Readiness is its own database only: submits are taken (and queued) while
            # analytics or notification are down; purchases wait (pending) while nft is.
            database=service_database(SERVICE, settings) if real else None,
            settings=settings,
            resources=resources,
            error_statuses=ERROR_STATUSES,
            verify_token=bearer_info(jwks_token_verifier(settings)),
            metrics=metrics,
        )
    )


@asynccontextmanager
async def _running(
    consumers: Consumers, relay: OutboxRelay, nft: RestNftMarketplace, resumer: PurchaseResumer
) -> AsyncIterator[None]:
    # Inside the lifespan, after the database is open; the relay and the resumer stop before
    # it closes, and before the clients they use.
    try:
        async with consumers.analytics.connected(), relay.running(), resumer.running():
            yield
    finally:
        await consumers.notification.aclose()
        await consumers.events.aclose()
        await nft.aclose()
