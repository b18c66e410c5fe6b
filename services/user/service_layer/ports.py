"""What the user service's use cases need from the outside world."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from services.common.auth import IssuedToken
from services.user.domain.model import RefreshToken, User


class UserRepository(Protocol):
    async def add(self, user: User) -> None:
        """Store a new user; raises AccountTaken when the username or email is in use."""
        ...

    async def get(self, user_id: UUID) -> User | None: ...

    async def get_by_username(self, username: str) -> User | None: ...

    async def list(self, *, limit: int, offset: int) -> Sequence[User]:
        """Oldest first, so pages stay stable while accounts are added."""
        ...

    async def save_access(self, user: User) -> None:
        """Store the user's roles and disabled flag."""
        ...


class RefreshTokenRepository(Protocol):
    async def add(self, token: RefreshToken) -> None: ...

    async def get_by_hash(self, token_hash: str) -> RefreshToken | None: ...

    async def mark_used(self, token_id: UUID, at: datetime) -> bool:
        """Spend the token if unspent; False when someone spent it first (compare-and-set)."""
        ...

    async def revoke_family(self, family_id: UUID, at: datetime) -> None: ...

    async def revoke_user(self, user_id: UUID, at: datetime) -> None: ...


class LoginThrottle(Protocol):
    async def retry_after(self, keys: Iterable[str], now: datetime) -> int | None:
        """Seconds until a login for these keys may be tried again; None when it may now."""
        ...

    async def record_failure(self, keys: Iterable[str], now: datetime) -> None: ...

    async def clear(self, key: str) -> None: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...


class TokenIssuer(Protocol):
    def issue(self, subject: UUID, username: str, roles: Iterable[str]) -> IssuedToken: ...


class NftCatalog(Protocol):
    async def list_owned(
        self, owner_id: UUID, *, limit: int, offset: int, bearer_token: str | None = None
    ) -> list[dict[str, Any]]:
        """The owner's NFTs in the nft service's JSON shape; raises NftServiceError."""
        ...
