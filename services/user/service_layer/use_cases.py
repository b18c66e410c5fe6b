"""One function per account use case of the user service (sessions and administration have
their own modules)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from services.common.auth import Role
from services.user.domain.errors import AccountTaken, UserNotFound
from services.user.domain.login_throttle import ThrottlePolicy
from services.user.domain.model import User, normalise_email, normalise_roles
from services.user.service_layer.ports import (
    LoginAttempts,
    NftCatalog,
    PasswordHasher,
    RefreshTokenRepository,
    TokenIssuer,
    UserRepository,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class UserDeps:
    users: UserRepository
    sessions: RefreshTokenRepository
    login_attempts: LoginAttempts
    throttle: ThrottlePolicy
    hasher: PasswordHasher
    tokens: TokenIssuer
    nfts: NftCatalog
    clock: Callable[[], datetime]
    new_id: Callable[[], UUID]
    # A real hash of a random password: login of an unknown user verifies against it, so the
    # answer takes as long as for a known user with a wrong password.
    decoy_password_hash: str
    refresh_ttl: timedelta
    # Told of each login the throttle refused (the app's metrics count them).
    on_throttled: Callable[[], None] = lambda: None


def _new_account(
    deps: UserDeps, *, username: str, email: str, password: str, roles: frozenset[str]
) -> User:
    return User(
        id=deps.new_id(),
        username=username,
        email=normalise_email(email),
        password_hash=deps.hasher.hash(password),
        created_at=deps.clock(),
        roles=normalise_roles(roles),
    )


async def register_user(deps: UserDeps, *, username: str, email: str, password: str) -> User:
    # The role is not the client's to choose: every registration is a plain User.
    user = _new_account(deps, username=username, email=email, password=password, roles=frozenset())
    await deps.users.add(user)
    return user


async def ensure_admin(deps: UserDeps, *, username: str, email: str, password: str) -> None:
    """The first administrator, created at start-up when the account does not exist yet."""
    if await deps.users.get_by_username(username) is not None:
        return
    admin = frozenset({Role.ADMIN.value})
    user = _new_account(deps, username=username, email=email, password=password, roles=admin)
    try:
        await deps.users.add(user)
        logger.info("created the administrator account %r", username)
    except AccountTaken:
        pass  # another instance starting at the same time created it


async def get_user(deps: UserDeps, user_id: UUID) -> User:
    user = await deps.users.get(user_id)
    if user is None:
        raise UserNotFound(user_id)
    return user


async def list_my_nfts(
    deps: UserDeps, user_id: UUID, *, limit: int, offset: int, bearer_token: str | None
) -> list[dict[str, Any]]:
    return await deps.nfts.list_owned(
        user_id, limit=limit, offset=offset, bearer_token=bearer_token
    )
