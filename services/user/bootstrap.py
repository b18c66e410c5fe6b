"""The user service's composition root: the only place that builds its parts."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from contextlib import aclosing, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from connexion import AsyncApp

from services.common.auth import TokenIssuer, TokenVerifier, bearer_info
from services.common.database import service_database
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
    real = adapters is None
    adapters = adapters or real_adapters(settings)
    nft_catalog = adapters.nfts
    verifier = TokenVerifier(secret=settings.jwt_secret, issuer=settings.jwt_issuer)
    return build_rest_app(
        RestAppSpec(
            service=SERVICE,
            api_prefix="/api/users",
            handlers=UserHandlers(build_deps(settings, adapters)),
            database=service_database(SERVICE, settings) if real else None,
            # The nft client's connection pool closes with the app.
            resources=(lambda: aclosing(nft_catalog)) if real else nullcontext,
            error_statuses=ERROR_STATUSES,
            verify_token=bearer_info(verifier),
            validate_responses=settings.validate_responses,
        )
    )
