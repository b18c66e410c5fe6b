"""The nft service's composition root: the only place that builds its parts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from datetime import UTC, datetime
from functools import partial
from uuid import UUID

from connexion import AsyncApp

from services.common.auth import bearer_info
from services.common.database import service_database
from services.common.jwks import jwks_token_verifier
from services.common.outbox import OutboxRelay, Topic
from services.common.rest_app import RestAppSpec, build_rest_app
from services.nft.adapters.notification_client import NotificationDelivery
from services.nft.adapters.repository import TortoiseNftRepository, outbox_store
from services.nft.config import NftSettings
from services.nft.domain.errors import (
    ChainRefused,
    ConcurrentEdit,
    ConcurrentOwnershipChange,
    NftNotFound,
    NotNftOwner,
    TransferToCurrentOwner,
)
from services.nft.entrypoints.rest import NftHandlers
from services.nft.service_layer.ports import Chain, NftRepository, Outbox
from services.nft.service_layer.use_cases import NOTIFICATION_TOPIC, NftDeps

SERVICE = "nft"
ERROR_STATUSES = {
    NftNotFound: 404,
    NotNftOwner: 403,
    TransferToCurrentOwner: 409,
    ConcurrentOwnershipChange: 409,
    ConcurrentEdit: 409,
    ChainRefused: 409,
}


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_deps(
    repository: NftRepository,
    clock: Callable[[], datetime] = utc_now,
    new_id: Callable[[], UUID] = uuid.uuid4,
    chain: Chain | None = None,
    outbox: Outbox | None = None,
    wake_relay: Callable[[], None] = lambda: None,
) -> NftDeps:
    """The use cases' dependencies. Without `chain`, the ledger in the repository's own
    database; pass another `Chain` adapter to record tokens elsewhere. Without `outbox`, the
    outbox table of that same database, so events commit with the ledger entry."""
    return NftDeps(
        repository=repository,
        chain=chain or repository.local_chain(),
        clock=clock,
        new_id=new_id,
        outbox=outbox or repository.local_outbox(),
        wake_relay=wake_relay,
    )


def build_relay(settings: NftSettings, notification: NotificationDelivery) -> OutboxRelay:
    return OutboxRelay(
        store=outbox_store(),
        topics=[
            Topic(NOTIFICATION_TOPIC, notification, batch_size=settings.notification_batch_size)
        ],
        clock=utc_now,
        policy=settings.relay_policy,
    )


def bootstrap(settings: NftSettings, deps: NftDeps | None = None) -> AsyncApp:
    """The nft REST app. Tests pass `deps` with fakes (and no relay); by default it uses its
    own database and delivers NFT events from its outbox to notification."""
    database = service_database(SERVICE, settings) if deps is None else None
    resources: Callable[[], AbstractAsyncContextManager[None]] = nullcontext
    if deps is None:
        notification = NotificationDelivery(
            settings.notification_addr, settings.notification_timeout_seconds
        )
        relay = build_relay(settings, notification)
        deps = build_deps(TortoiseNftRepository(), wake_relay=relay.wake)
        resources = partial(_delivering, notification, relay)
    return build_rest_app(
        RestAppSpec(
            service=SERVICE,
            api_prefix="/api/nfts",
            handlers=NftHandlers(deps),
            # Readiness is its own database only: mints and transfers are taken (and their
            # events queued) while notification is down.
            database=database,
            resources=resources,
            error_statuses=ERROR_STATUSES,
            verify_token=bearer_info(jwks_token_verifier(settings)),
            validate_responses=settings.validate_responses,
            idempotency_ttl_seconds=settings.idempotency_ttl_seconds,
        )
    )


@asynccontextmanager
async def _delivering(
    notification: NotificationDelivery, relay: OutboxRelay
) -> AsyncIterator[None]:
    # Inside the lifespan, after the database is open; the relay stops before it closes.
    try:
        async with relay.running():
            yield
    finally:
        await notification.aclose()
