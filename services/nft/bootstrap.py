"""The nft service's composition root: the only place that builds its parts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from connexion import AsyncApp

from services.common.auth import TokenVerifier, bearer_info
from services.common.database import (
    DatabaseSpec,
    apply_migrations,
    close_database,
    database_answers,
    database_url,
    open_database,
)
from services.common.rest_app import RestAppSpec, build_rest_app
from services.nft.adapters.repository import TortoiseNftRepository
from services.nft.config import NftSettings
from services.nft.domain.errors import (
    ConcurrentOwnershipChange,
    NftNotFound,
    NotNftOwner,
    TransferToCurrentOwner,
)
from services.nft.entrypoints.rest import NftHandlers
from services.nft.service_layer.ports import NftRepository
from services.nft.service_layer.use_cases import NftDeps

SERVICE = "nft"
ERROR_STATUSES = {
    NftNotFound: 404,
    NotNftOwner: 403,
    TransferToCurrentOwner: 409,
    ConcurrentOwnershipChange: 409,
}


def database_spec(settings: NftSettings) -> DatabaseSpec:
    return DatabaseSpec(
        name=SERVICE,
        url=database_url(SERVICE, settings.database_url, settings.data_dir),
        models_module="services.nft.adapters.orm",
        migrations_module="services.nft.migrations",
    )


def build_deps(
    repository: NftRepository,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    new_id: Callable[[], UUID] = uuid.uuid4,
) -> NftDeps:
    return NftDeps(repository=repository, clock=clock, new_id=new_id)


def bootstrap(settings: NftSettings, deps: NftDeps | None = None) -> AsyncApp:
    """The nft REST app. Tests pass `deps` with fakes; by default it uses its own database."""
    database = database_spec(settings)
    use_real_database = deps is None
    deps = deps or build_deps(TortoiseNftRepository())

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        if use_real_database:
            await apply_migrations(database)
            await open_database(database)
        try:
            yield
        finally:
            if use_real_database:
                await close_database()

    async def ready() -> bool:
        return await database_answers(SERVICE) if use_real_database else True

    verifier = TokenVerifier(secret=settings.jwt_secret, issuer=settings.jwt_issuer)
    return build_rest_app(
        RestAppSpec(
            service=SERVICE,
            api_prefix="/api/nfts",
            handlers=NftHandlers(deps),
            lifespan=lifespan,
            ready=ready,
            error_statuses=ERROR_STATUSES,
            verify_token=bearer_info(verifier),
            validate_responses=settings.validate_responses,
        )
    )
