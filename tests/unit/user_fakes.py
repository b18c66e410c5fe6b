"""In-memory stand-ins for the user service's ports."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from services.user.bootstrap import Adapters, keyring_for
from services.user.config import UserSettings
from services.user.domain.errors import AccountTaken, NftServiceError
from services.user.domain.model import RefreshToken, User


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


class InMemoryLoginThrottle:
    """Same rule as the database throttle: `limit` failures per key kind within the window."""

    def __init__(self, limits: dict[str, int], window_seconds: float) -> None:
        self.limits = limits
        self.window = timedelta(seconds=window_seconds)
        self.failures: dict[str, list[datetime]] = {}

    async def retry_after(self, keys: Iterable[str], now: datetime) -> int | None:
        waits = []
        for key in keys:
            limit = self.limits[key.split(":", 1)[0]]
            recent = sorted(t for t in self.failures.get(key, []) if t > now - self.window)
            if len(recent) >= limit:
                waits.append(max(1, int((recent[-limit] + self.window - now).total_seconds())))
        return max(waits, default=None)

    async def record_failure(self, keys: Iterable[str], now: datetime) -> None:
        for key in keys:
            self.failures.setdefault(key, []).append(now)

    async def clear(self, key: str) -> None:
        self.failures.pop(key, None)


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
        throttle=InMemoryLoginThrottle(
            {
                "account": settings.login_failures_per_account,
                "client": settings.login_failures_per_client,
            },
            settings.login_failure_window_seconds,
        ),
        nfts=FakeNftCatalog(),
        hasher=PlainPasswordHasher(),
        keyring=keyring_for(settings.model_copy(update={"signing_keys_dir": keys_dir}), clock),
    )
