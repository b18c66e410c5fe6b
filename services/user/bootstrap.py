"""The user service's composition root: the only place that builds its parts."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from connexion import AsyncApp

from services.common.auth import TokenIssuer, TokenVerifier, bearer_info
from services.common.database import (
    DatabaseSpec,
    apply_migrations,
    close_database,
    database_answers,
    database_url,
    open_database,
)
from services.common.rest_app import RestAppSpec, build_rest_app
from services.user.adapters.nft_catalog import RestNftCatalog
from services.user.adapters.passwords import Argon2PasswordHasher
from services.user.adapters.repository import TortoiseUserRepository
from services.user.config import UserSettings
from services.user.domain.errors import (
    AccountTaken,
    InvalidCredentials,
    NftServiceBadResponse,
    NftServiceTimeout,
    NftServiceUnavailable,
    UserNotFound,
)
from services.user.entrypoints.rest import UserHandlers
from services.user.service_layer.ports import NftCatalog, PasswordHasher, UserRepository
from services.user.service_layer.use_cases import UserDeps

SERVICE = "user"
ERROR_STATUSES = {
    UserNotFound: 404,
    AccountTaken: 409,
    InvalidCredentials: 401,
    NftServiceBadResponse: 502,
    NftServiceUnavailable: 503,
    NftServiceTimeout: 504,
}


@dataclass(frozen=True)
class Adapters:
    """The parts that touch the outside world; tests swap them for fakes."""

    users: UserRepository
    nfts: NftCatalog
    hasher: PasswordHasher
    uses_database: bool = True


def database_spec(settings: UserSettings) -> DatabaseSpec:
    return DatabaseSpec(
        name=SERVICE,
        url=database_url(SERVICE, settings.database_url, settings.data_dir),
        models_module="services.user.adapters.orm",
        migrations_module="services.user.migrations",
    )


def real_adapters(settings: UserSettings) -> Adapters:
    return Adapters(
        users=TortoiseUserRepository(),
        nfts=RestNftCatalog(settings.nft_addr, settings.nft_timeout_seconds),
        hasher=Argon2PasswordHasher(),
    )


def build_deps(
    settings: UserSettings,
    adapters: Adapters,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    new_id: Callable[[], UUID] = uuid.uuid4,
) -> UserDeps:
    issuer = TokenIssuer(
        secret=settings.jwt_secret,
        issuer=settings.jwt_issuer,
        ttl=timedelta(seconds=settings.token_ttl_seconds),
        clock=clock,
    )
    return UserDeps(
        users=adapters.users,
        hasher=adapters.hasher,
        tokens=issuer,
        nfts=adapters.nfts,
        clock=clock,
        new_id=new_id,
        decoy_password_hash=adapters.hasher.hash(secrets.token_urlsafe(16)),
    )


def bootstrap(settings: UserSettings, adapters: Adapters | None = None) -> AsyncApp:
    """The user REST app. Tests pass `adapters` with fakes; by default it uses real ones."""
    adapters = adapters or real_adapters(settings)
    deps = build_deps(settings, adapters)
    database = database_spec(settings)

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        if adapters.uses_database:
            await apply_migrations(database)
            await open_database(database)
        try:
            yield
        finally:
            close = getattr(adapters.nfts, "close", None)
            if close is not None:
                await close()
            if adapters.uses_database:
                await close_database()

    async def ready() -> bool:
        return await database_answers(SERVICE) if adapters.uses_database else True

    verifier = TokenVerifier(secret=settings.jwt_secret, issuer=settings.jwt_issuer)
    return build_rest_app(
        RestAppSpec(
            service=SERVICE,
            api_prefix="/api/users",
            handlers=UserHandlers(deps),
            lifespan=lifespan,
            ready=ready,
            error_statuses=ERROR_STATUSES,
            verify_token=bearer_info(verifier),
            validate_responses=settings.validate_responses,
        )
    )
