"""UserRepository on Tortoise ORM; the unique constraints decide "taken", not a prior read."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from tortoise.exceptions import IntegrityError

from services.user.adapters.orm import UserRecord
from services.user.domain.errors import AccountTaken
from services.user.domain.model import User, normalise_roles


def _to_domain(record: UserRecord) -> User:
    return User(
        id=record.id,
        username=record.username,
        email=record.email,
        password_hash=record.password_hash,
        created_at=record.created_at,
        roles=normalise_roles(record.roles or ()),
        disabled=record.disabled,
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
                roles=sorted(user.roles),
                disabled=user.disabled,
            )
        except IntegrityError as error:
            raise AccountTaken() from error

    async def get(self, user_id: UUID) -> User | None:
        record = await UserRecord.get_or_none(id=user_id)
        return _to_domain(record) if record else None

    async def get_by_username(self, username: str) -> User | None:
        record = await UserRecord.get_or_none(username=username)
        return _to_domain(record) if record else None

    async def list(self, *, limit: int, offset: int) -> Sequence[User]:
        records = await UserRecord.all().order_by("created_at", "id").offset(offset).limit(limit)
        return [_to_domain(record) for record in records]

    async def save_access(self, user: User) -> None:
        await UserRecord.filter(id=user.id).update(roles=sorted(user.roles), disabled=user.disabled)
