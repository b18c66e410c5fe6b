"""What the user service's use cases need from the outside world."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from services.common.auth import IssuedToken
from services.user.domain.login_throttle import FailureHistory
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


@dataclass(frozen=True)
class LoginAttempt:
    id: int
    # The failures before this attempt: what the throttle decides by.
    before: FailureHistory


class LoginAttempts(Protocol):
    """Login attempts of (account, client address) pairs within the throttle's window."""

    async def begin(
        self, account: str, address: str, now: datetime, *, since: datetime, pair_limit: int
    ) -> LoginAttempt:
        """Store the attempt as a failure *before* its password is checked, then read the
        failures before it since `since` (other attempts in flight among them), at most
        `pair_limit` of the pair's. Concurrent attempts thus see each other: a burst cannot
        all pass one count. Failures older than `since` may be dropped."""
        ...

    async def withdraw(self, attempt_id: int) -> None:
        """Forget an attempt that checked no password (it was refused)."""
        ...

    async def clear_pair(self, account: str, address: str) -> None:
        """Forget the failures of this account from this address, and only those."""
        ...


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
