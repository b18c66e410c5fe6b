"""RefreshTokenRepository on Tortoise ORM. Spending a token is one conditional UPDATE, so two
concurrent refreshes with the same token cannot both succeed."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.user.adapters.orm import RefreshTokenRecord
from services.user.domain.model import RefreshToken


def _to_domain(record: RefreshTokenRecord) -> RefreshToken:
    return RefreshToken(
        id=record.id,
        family_id=record.family_id,
        user_id=record.user_id,
        token_hash=record.token_hash,
        created_at=record.created_at,
        expires_at=record.expires_at,
        used_at=record.used_at,
        revoked_at=record.revoked_at,
    )


class TortoiseRefreshTokenRepository:
    async def add(self, token: RefreshToken) -> None:
        await RefreshTokenRecord.create(
            id=token.id,
            family_id=token.family_id,
            user_id=token.user_id,
            token_hash=token.token_hash,
            created_at=token.created_at,
            expires_at=token.expires_at,
        )

    async def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        record = await RefreshTokenRecord.get_or_none(token_hash=token_hash)
        return _to_domain(record) if record else None

    async def mark_used(self, token_id: UUID, at: datetime) -> bool:
        changed = await RefreshTokenRecord.filter(id=token_id, used_at__isnull=True).update(
            used_at=at
        )
        return changed == 1

    async def revoke_family(self, family_id: UUID, at: datetime) -> None:
        await RefreshTokenRecord.filter(family_id=family_id, revoked_at__isnull=True).update(
            revoked_at=at
        )

    async def revoke_user(self, user_id: UUID, at: datetime) -> None:
        await RefreshTokenRecord.filter(user_id=user_id, revoked_at__isnull=True).update(
            revoked_at=at
        )
