"""The nft service's composition root: the only place that builds its parts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import (
    AbstractAsyncContextManager,
    AsyncExitStack,
    asynccontextmanager,
    nullcontext,
)
from datetime import UTC, datetime
from functools import partial
from uuid import UUID

from connexion import AsyncApp

from services.common.auth import bearer_info
from services.common.database import service_database
from services.common.jwks import jwks_token_verifier
from services.common.metrics import AppMetrics
from services.common.notification_events import NotificationEventDelivery
from services.common.outbox import OutboxRelay, Topic
from services.common.outbox_metrics import OutboxMetrics
from services.common.rest_app import RestAppSpec, build_rest_app
from services.nft.adapters.repository import TortoiseNftRepository, outbox_store
from services.nft.adapters.user_directory import RestUserDirectory
from services.nft.config import NftSettings
from services.nft.domain.errors import (
    ChainRefused,
    ConcurrentEdit,
    ConcurrentOwnershipChange,
    HiddenNotForSale,
    NftNotFound,
    NotApprovedForSale,
    NotNftOwner,
    SaleChangedMeanwhile,
    SellerNoLongerOwns,
    TransferToCurrentOwner,
    UnknownReceiver,
    UserServiceUnavailable,
)
from services.nft.entrypoints.rest import NftHandlers
from services.nft.service_layer.ports import (
    Chain,
    NftRepository,
    NftViews,
    Outbox,
    UserDirectory,
)
from services.nft.service_layer.use_cases import NOTIFICATION_TOPIC, NftDeps

SERVICE = "nft"
ERROR_STATUSES = {
    NftNotFound: 404,
    NotNftOwner: 403,
    TransferToCurrentOwner: 409,
    ConcurrentOwnershipChange: 409,
    ConcurrentEdit: 409,
    ChainRefused: 409,
    HiddenNotForSale: 409,
    NotApprovedForSale: 409,
    SellerNoLongerOwns: 409,
    SaleChangedMeanwhile: 409,
    UnknownReceiver: 422,
    UserServiceUnavailable: 503,
}


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_deps(
    repository: NftRepository,
    users: UserDirectory,
    clock: Callable[[], datetime] = utc_now,
    new_id: Callable[[], UUID] = uuid.uuid4,
    chain: Chain | None = None,
    outbox: Outbox | None = None,
    wake_relay: Callable[[], None] = lambda: None,
    views: NftViews | None = None,
) -> NftDeps:
    """The use cases' dependencies. `users` says who may receive an NFT (the user service, or
    a fake in tests). Without `chain`, the ledger in the repository's own database; pass
    another `Chain` adapter to record tokens elsewhere. Without `outbox`, the outbox table of
    that same database, so events commit with the ledger entry. Without `views`, the read
    models of the repository's database."""
    return NftDeps(
        repository=repository,
        chain=chain or repository.local_chain(),
        clock=clock,
        new_id=new_id,
        outbox=outbox or repository.local_outbox(),
        wake_relay=wake_relay,
        users=users,
        views=views or repository.views(),
    )


def build_relay(settings: NftSettings, notification: NotificationEventDelivery) -> OutboxRelay:
    return OutboxRelay(
        store=outbox_store(),
        topics=[
            Topic(NOTIFICATION_TOPIC, notification, batch_size=settings.notification_batch_size)
        ],
        clock=utc_now,
        policy=settings.relay_policy,
    )


def bootstrap(
    settings: NftSettings, deps: NftDeps | None = None, users: UserDirectory | None = None
) -> AsyncApp:
    """The nft REST app. Tests pass `deps` with fakes (and no relay); by default it uses its
    own database and delivers NFT events from its outbox to notification (NOTIFICATION_ADDR).
    Receivers are checked with `users`, or by default with the user service (USER_ADDR): a
    test on the real database passes its own directory."""
    database = service_database(SERVICE, settings) if deps is None else None
    resources: Callable[[], AbstractAsyncContextManager[None]] = nullcontext
    metrics = AppMetrics(SERVICE)  # REST, and the outbox's figures when it relays
    if deps is None:
        notification = NotificationEventDelivery(
            settings.notification_addr, settings.notification_timeout_seconds
        )
        relay = build_relay(settings, notification)
        OutboxMetrics(metrics, relay, utc_now)
        clients: list[NotificationEventDelivery | RestUserDirectory] = [notification]
        if users is None:
            users = RestUserDirectory(settings.user_addr, settings.user_timeout_seconds)
            clients.append(users)
        deps = build_deps(TortoiseNftRepository(), users, wake_relay=relay.wake)
        resources = partial(_delivering, relay, clients)
    return build_rest_app(
        RestAppSpec(
            service=SERVICE,
            api_prefix="/api/nfts",
            handlers=NftHandlers(deps),
            # Readiness is its own database only: mints and transfers are taken (and their
            # events queued) while notification is down; while user is down, only transfers
            # by owners are refused (503), everything else is served.
            database=database,
            settings=settings,
            resources=resources,
            error_statuses=ERROR_STATUSES,
            verify_token=bearer_info(jwks_token_verifier(settings)),
            metrics=metrics,
        )
    )


@asynccontextmanager
async def _delivering(
    relay: OutboxRelay, clients: Sequence[NotificationEventDelivery | RestUserDirectory]
) -> AsyncIterator[None]:
    # Inside the lifespan, after the database is open; the relay stops before it closes, and
    # the clients' connection pools close with the app.
    async with AsyncExitStack() as stack:
        for client in clients:
            stack.push_async_callback(client.aclose)
        async with relay.running():
            yield
