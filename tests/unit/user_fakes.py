"""In-memory stand-ins for the user service's ports, and its REST app on them."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from connexion import AsyncApp

from services.user.bootstrap import Adapters, bootstrap, keyring_for
from services.user.config import UserSettings
from services.user.domain.errors import AccountTaken, NftServiceError
from services.user.domain.login_throttle import FailureHistory
from services.user.domain.model import RefreshToken, User
from services.user.service_layer.ports import LoginAttempt


class InMemoryUserRepository:
    def __init__(self) -> None:
        self.users: dict[UUID, User] = {}

    async def add(self, user: User) -> None:
        if any(u.username == user.username or u.email == user.email for u in self.users.values()):
            raise AccountTaken()
        self.users[user.id] = user

    async def get(self, user_id: UUID) -> User | None:
        return self.users.get(user_id)

    async def get_by_username(self, username: str) -> User | None:
        return next((u for u in self.users.values() if u.username == username), None)

    async def list(self, *, limit: int, offset: int) -> Sequence[User]:
        ordered = sorted(self.users.values(), key=lambda u: (u.created_at, str(u.id)))
        return ordered[offset : offset + limit]

    async def save_access(self, user: User) -> None:
        stored = self.users[user.id]
        self.users[user.id] = dataclasses.replace(stored, roles=user.roles, disabled=user.disabled)


class InMemoryRefreshTokens:
    def __init__(self) -> None:
        self.tokens: dict[UUID, RefreshToken] = {}

    async def add(self, token: RefreshToken) -> None:
        self.tokens[token.id] = token

    async def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        return next((t for t in self.tokens.values() if t.token_hash == token_hash), None)

    async def mark_used(self, token_id: UUID, at: datetime) -> bool:
        token = self.tokens[token_id]
        if token.used_at is not None:
            return False
        self.tokens[token_id] = dataclasses.replace(token, used_at=at)
        return True

    async def revoke_family(self, family_id: UUID, at: datetime) -> None:
        self._revoke(lambda t: t.family_id == family_id, at)

    async def revoke_user(self, user_id: UUID, at: datetime) -> None:
        self._revoke(lambda t: t.user_id == user_id, at)

    def _revoke(self, which: Any, at: datetime) -> None:
        for token_id, token in list(self.tokens.items()):
            if which(token) and token.revoked_at is None:
                self.tokens[token_id] = dataclasses.replace(token, revoked_at=at)


@dataclass(frozen=True)
class StoredFailure:
    id: int
    account: str
    address: str
    failed_at: datetime


class InMemoryLoginAttempts:
    """The database adapter's storage in a list; the throttle's rules stay in the policy."""

    def __init__(self) -> None:
        self.failures: list[StoredFailure] = []
        self._ids = itertools.count(1)

    async def begin(
        self, account: str, address: str, now: datetime, *, since: datetime, pair_limit: int
    ) -> LoginAttempt:
        self.failures = [f for f in self.failures if f.failed_at > since]
        others = list(self.failures)
        attempt = StoredFailure(next(self._ids), account, address, now)
        self.failures.append(attempt)
        pair = sorted(
            (f.failed_at for f in others if (f.account, f.address) == (account, address)),
            reverse=True,
        )
        from_address = [f.failed_at for f in others if f.address == address]
        history = FailureHistory(
            pair=tuple(pair[:pair_limit]),
            address_count=len(from_address),
            address_newest=max(from_address, default=None),
        )
        return LoginAttempt(attempt.id, history)

    async def withdraw(self, attempt_id: int) -> None:
        self.failures = [f for f in self.failures if f.id != attempt_id]

    async def clear_pair(self, account: str, address: str) -> None:
        self.failures = [f for f in self.failures if (f.account, f.address) != (account, address)]


class PlainPasswordHasher:
    """Reversible on purpose (tests only); records what was verified against what."""

    def __init__(self) -> None:
        self.verified: list[str] = []

    def hash(self, password: str) -> str:
        return f"plain${password}"

    def verify(self, password_hash: str, password: str) -> bool:
        self.verified.append(password_hash)
        return password_hash == f"plain${password}"


class FakeNftCatalog:
    def __init__(self) -> None:
        self.owned: dict[UUID, list[dict[str, Any]]] = {}
        self.failure: NftServiceError | None = None
        self.bearer_tokens: list[str | None] = []

    async def list_owned(
        self, owner_id: UUID, *, limit: int, offset: int, bearer_token: str | None = None
    ) -> list[dict[str, Any]]:
        self.bearer_tokens.append(bearer_token)
        if self.failure is not None:
            raise self.failure
        return self.owned.get(owner_id, [])[offset : offset + limit]


def fake_adapters(settings: UserSettings, keys_dir: Path, clock: Any = None) -> Adapters:
    """Fakes for everything but the keyring: real keys in a test directory."""
    return Adapters(
        users=InMemoryUserRepository(),
        sessions=InMemoryRefreshTokens(),
        login_attempts=InMemoryLoginAttempts(),
        nfts=FakeNftCatalog(),
        hasher=PlainPasswordHasher(),
        keyring=keyring_for(settings.model_copy(update={"signing_keys_dir": keys_dir}), clock),
    )


def user_app(settings: UserSettings, keys_dir: Path) -> AsyncApp:
    """The user REST app on `fake_adapters`; its start-up creates the development admin."""
    return bootstrap(settings, adapters=fake_adapters(settings, keys_dir))


async def admin_headers(client: httpx.AsyncClient, settings: UserSettings) -> dict[str, str]:
    """The Authorization of the admin the app created at start-up."""
    credentials = {"username": settings.admin_username, "password": settings.admin_password}
    login = await client.post("/api/users/login", json=credentials)
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['accessToken']}"}
