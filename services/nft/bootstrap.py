"""The nft service's composition root: the only place that builds its parts."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

from connexion import AsyncApp

from services.common.auth import bearer_info
from services.common.database import service_database
from services.common.jwks import jwks_token_verifier
from services.common.rest_app import RestAppSpec, build_rest_app
from services.nft.adapters.repository import TortoiseNftRepository
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
from services.nft.service_layer.ports import Chain, NftRepository
from services.nft.service_layer.use_cases import NftDeps

SERVICE = "nft"
ERROR_STATUSES = {
    NftNotFound: 404,
    NotNftOwner: 403,
    TransferToCurrentOwner: 409,
    ConcurrentOwnershipChange: 409,
    ConcurrentEdit: 409,
    ChainRefused: 409,
}


def build_deps(
    repository: NftRepository,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    new_id: Callable[[], UUID] = uuid.uuid4,
    chain: Chain | None = None,
) -> NftDeps:
    """The use cases' dependencies. Without `chain`, the ledger in the repository's own
    database; pass another `Chain` adapter to record tokens elsewhere."""
    return NftDeps(
        repository=repository,
        chain=chain or repository.local_chain(),
        clock=clock,
        new_id=new_id,
    )


def bootstrap(settings: NftSettings, deps: NftDeps | None = None) -> AsyncApp:
    """The nft REST app. Tests pass `deps` with fakes; by default it uses its own database."""
    database = service_database(SERVICE, settings) if deps is None else None
    deps = deps or build_deps(TortoiseNftRepository())
    return build_rest_app(
        RestAppSpec(
            service=SERVICE,
            api_prefix="/api/nfts",
            handlers=NftHandlers(deps),
            database=database,
            error_statuses=ERROR_STATUSES,
            verify_token=bearer_info(jwks_token_verifier(settings)),
            validate_responses=settings.validate_responses,
            idempotency_ttl_seconds=settings.idempotency_ttl_seconds,
        )
    )
