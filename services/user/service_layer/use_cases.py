"""One function per use case of the user service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from services.common.auth import IssuedToken
from services.user.domain.errors import InvalidCredentials, UserNotFound
from services.user.domain.model import User, normalise_email
from services.user.service_layer.ports import (
    NftCatalog,
    PasswordHasher,
    TokenIssuer,
    UserRepository,
)


@dataclass(frozen=True)
class UserDeps:
    users: UserRepository
    hasher: PasswordHasher
    tokens: TokenIssuer
    nfts: NftCatalog
    clock: Callable[[], datetime]
    new_id: Callable[[], UUID]
    # A real hash of a random password: login of an unknown user verifies against it, so the
    # answer takes as long as for a known user with a wrong password.
    decoy_password_hash: str


async def register_user(deps: UserDeps, *, username: str, email: str, password: str) -> User:
    user = User(
        id=deps.new_id(),
        username=username,
        email=normalise_email(email),
        password_hash=deps.hasher.hash(password),
        created_at=deps.clock(),
    )
    await deps.users.add(user)
    return user


async def login(deps: UserDeps, *, username: str, password: str) -> IssuedToken:
    user = await deps.users.get_by_username(username)
    password_hash = user.password_hash if user else deps.decoy_password_hash
    if not deps.hasher.verify(password_hash, password) or user is None:
        raise InvalidCredentials()
    return deps.tokens.issue(user.id, user.username)


async def get_user(deps: UserDeps, user_id: UUID) -> User:
    user = await deps.users.get(user_id)
    if user is None:
        raise UserNotFound(user_id)
    return user


async def list_my_nfts(
    deps: UserDeps, user_id: UUID, *, limit: int, offset: int
) -> list[dict[str, Any]]:
    return await deps.nfts.list_owned(user_id, limit=limit, offset=offset)
