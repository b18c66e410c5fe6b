"""The user service's composition root: the only place that builds its parts."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing, asynccontextmanager, nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

from connexion import AsyncApp

from services.common.auth import TokenIssuer, TokenVerifier, bearer_info
from services.common.database import service_database
from services.common.metrics import AppMetrics
from services.common.rest_app import RestAppSpec, build_rest_app, load_contract
from services.user.adapters.login_metrics import throttled_logins
from services.user.adapters.login_throttle import DatabaseLoginAttempts
from services.user.adapters.nft_catalog import RestNftCatalog
from services.user.adapters.passwords import Argon2PasswordHasher
from services.user.adapters.repository import TortoiseUserRepository
from services.user.adapters.sessions import TortoiseRefreshTokenRepository
from services.user.adapters.signing_keys import FileKeyring
from services.user.config import UserSettings
from services.user.domain.errors import (
    AccountDisabled,
    AccountTaken,
    InvalidCredentials,
    InvalidRefreshToken,
    LoginThrottled,
    NftServiceBadResponse,
    NftServiceTimeout,
    NftServiceUnavailable,
    UserNotFound,
    WouldLockOut,
)
from services.user.domain.login_throttle import ThrottlePolicy
from services.user.entrypoints.rest import UserHandlers
from services.user.service_layer.ports import (
    LoginAttempts,
    NftCatalog,
    PasswordHasher,
    RefreshTokenRepository,
    UserRepository,
)
from services.user.service_layer.use_cases import UserDeps, ensure_admin

SERVICE = "user"
ERROR_STATUSES = {
    UserNotFound: 404,
    AccountTaken: 409,
    WouldLockOut: 409,
    InvalidCredentials: 401,
    InvalidRefreshToken: 401,
    AccountDisabled: 403,
    LoginThrottled: 429,
    NftServiceBadResponse: 502,
    NftServiceUnavailable: 503,
    NftServiceTimeout: 504,
}
LEEWAY_SECONDS = 5


@dataclass(frozen=True)
class Adapters:
    """The parts that touch the outside world; tests swap them for fakes."""

    users: UserRepository
    sessions: RefreshTokenRepository
    login_attempts: LoginAttempts
    nfts: NftCatalog
    hasher: PasswordHasher
    keyring: FileKeyring


def keyring_for(settings: UserSettings, clock: Callable[[], datetime] | None = None) -> FileKeyring:
    return FileKeyring(
        settings.keys_dir,
        activation_seconds=settings.key_activation_seconds,
        retire_after_seconds=settings.token_ttl_seconds + LEEWAY_SECONDS,
        **({"clock": clock} if clock else {}),
    )


def throttle_policy(settings: UserSettings) -> ThrottlePolicy:
    return ThrottlePolicy(
        pair_limit=settings.login_failures_per_account_address,
        address_limit=settings.login_failures_per_address,
        window=timedelta(seconds=settings.login_failure_window_seconds),
        backoff_initial_seconds=settings.login_backoff_initial_seconds,
        backoff_max_seconds=settings.login_backoff_max_seconds,
    )


def nft_fields_shown() -> frozenset[str]:
    """The NFT fields of the user contract's own `Nft` schema."""
    return frozenset(load_contract(SERVICE)["components"]["schemas"]["Nft"]["properties"])


def real_adapters(settings: UserSettings) -> Adapters:
    return Adapters(
        users=TortoiseUserRepository(),
        sessions=TortoiseRefreshTokenRepository(),
        login_attempts=DatabaseLoginAttempts(),
        nfts=RestNftCatalog(
            settings.nft_addr, settings.nft_timeout_seconds, exposed_fields=nft_fields_shown()
        ),
        hasher=Argon2PasswordHasher(),
        keyring=keyring_for(settings),
    )


def build_deps(
    settings: UserSettings,
    adapters: Adapters,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    new_id: Callable[[], UUID] = uuid.uuid4,
) -> UserDeps:
    issuer = TokenIssuer(
        signing_key=adapters.keyring.signing_key,
        issuer=settings.jwt_issuer,
        ttl=timedelta(seconds=settings.token_ttl_seconds),
        clock=clock,
    )
    return UserDeps(
        users=adapters.users,
        sessions=adapters.sessions,
        login_attempts=adapters.login_attempts,
        throttle=throttle_policy(settings),
        hasher=adapters.hasher,
        tokens=issuer,
        nfts=adapters.nfts,
        clock=clock,
        new_id=new_id,
        decoy_password_hash=adapters.hasher.hash(secrets.token_urlsafe(16)),
        refresh_ttl=timedelta(seconds=settings.refresh_token_ttl_seconds),
    )


def bootstrap(settings: UserSettings, adapters: Adapters | None = None) -> AsyncApp:
    """The user REST app. Tests pass `adapters` with fakes; by default it uses real ones."""
    real = adapters is None
    adapters = adapters or real_adapters(settings)
    # Before anything can ask for a key: the first instance to start creates one.
    adapters.keyring.ensure()
    metrics = AppMetrics(SERVICE)  # REST, and the logins the throttle refused
    deps = replace(build_deps(settings, adapters), on_throttled=throttled_logins(metrics))
    verifier = TokenVerifier(
        keys=adapters.keyring, issuer=settings.jwt_issuer, leeway_seconds=LEEWAY_SECONDS
    )

    @asynccontextmanager
    async def resources() -> AsyncIterator[None]:
        await ensure_admin(
            deps,
            username=settings.admin_username,
            email=settings.admin_email,
            password=settings.admin_password,
        )
        # The nft client's connection pool closes with the app.
        async with aclosing(adapters.nfts) if real else nullcontext():  # type: ignore[type-var]
            yield

    return build_rest_app(
        RestAppSpec(
            service=SERVICE,
            api_prefix="/api/users",
            handlers=UserHandlers(
                deps, adapters.keyring.jwks, authenticate_callers=settings.authenticate_callers
            ),
            database=service_database(SERVICE, settings) if real else None,
            settings=settings,
            resources=resources,
            error_statuses=ERROR_STATUSES,
            verify_token=bearer_info(verifier),
            metrics=metrics,
        )
    )
