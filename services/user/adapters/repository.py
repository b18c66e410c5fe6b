"""UserRepository on Tortoise ORM; the unique constraints decide "taken", not a prior read."""

from __future__ import annotations

from uuid import UUID

from tortoise.exceptions import IntegrityError

from services.user.adapters.orm import UserRecord
from services.user.domain.errors import AccountTaken
from services.user.domain.model import User


def _to_domain(record: UserRecord) -> User:
    return User(
        id=record.id,
        username=record.username,
        email=record.email,
        password_hash=record.password_hash,
        created_at=record.created_at,
    )


class TortoiseUserRepository:
    async def add(self, user: User) -> None:
        try:
            await UserRecord.create(
                id=user.id,
                username=user.username,
                email=user.email,
                password_hash=user.password_hash,
                created_at=user.created_at,
            )
        except IntegrityError as error:
            raise AccountTaken() from error

    async def get(self, user_id: UUID) -> User | None:
        record = await UserRecord.get_or_none(id=user_id)
        return _to_domain(record) if record else None

    async def get_by_username(self, username: str) -> User | None:
        record = await UserRecord.get_or_none(username=username)
        return _to_domain(record) if record else None
