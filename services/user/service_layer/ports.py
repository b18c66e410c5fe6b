"""What the user service's use cases need from the outside world."""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID

from services.common.auth import IssuedToken
from services.user.domain.model import User


class UserRepository(Protocol):
    async def add(self, user: User) -> None:
        """Store a new user; raises AccountTaken when the username or email is in use."""
        ...

    async def get(self, user_id: UUID) -> User | None: ...

    async def get_by_username(self, username: str) -> User | None: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...


class TokenIssuer(Protocol):
    def issue(self, subject: UUID, username: str) -> IssuedToken: ...


class NftCatalog(Protocol):
    async def list_owned(self, owner_id: UUID, *, limit: int, offset: int) -> list[dict[str, Any]]:
        """The owner's NFTs in the nft service's JSON shape; raises NftServiceError."""
        ...
