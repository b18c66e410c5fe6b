"""In-memory stand-ins for the user service's ports."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.user.bootstrap import Adapters
from services.user.domain.errors import AccountTaken, NftServiceError
from services.user.domain.model import User


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

    async def list_owned(self, owner_id: UUID, *, limit: int, offset: int) -> list[dict[str, Any]]:
        if self.failure is not None:
            raise self.failure
        return self.owned.get(owner_id, [])[offset : offset + limit]


def fake_adapters() -> Adapters:
    return Adapters(
        users=InMemoryUserRepository(),
        nfts=FakeNftCatalog(),
        hasher=PlainPasswordHasher(),
    )
