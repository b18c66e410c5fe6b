"""NftRepository on Tortoise ORM; maps rows to domain objects and back.

Metadata is stored as JSON in the contract's shape, so it reads back exactly as it was given."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from services.nft.adapters.orm import NftRecord
from services.nft.domain.model import Nft
from services.nft.mappers import metadata_from_contract, metadata_to_contract


def _to_domain(record: NftRecord) -> Nft:
    return Nft(
        id=record.id,
        name=record.name,
        description=record.description,
        metadata=metadata_from_contract(record.metadata),
        owner_id=record.owner_id,
        creator_id=record.creator_id,
        created_at=record.created_at,
        updated_at=record.updated_at,
        hidden=record.hidden,
        hidden_reason=record.hidden_reason,
    )


class TortoiseNftRepository:
    async def add(self, nft: Nft) -> None:
        await NftRecord.create(
            id=nft.id,
            name=nft.name,
            description=nft.description,
            metadata=metadata_to_contract(nft.metadata),
            owner_id=nft.owner_id,
            creator_id=nft.creator_id,
            created_at=nft.created_at,
            updated_at=nft.updated_at,
        )

    async def get(self, nft_id: UUID) -> Nft | None:
        record = await NftRecord.get_or_none(id=nft_id)
        return _to_domain(record) if record else None

    async def list_by_owner(self, owner_id: UUID, *, limit: int, offset: int) -> Sequence[Nft]:
        records = (
            await NftRecord.filter(owner_id=owner_id, hidden=False)
            .order_by("-created_at", "id")
            .offset(offset)
            .limit(limit)
        )
        return [_to_domain(r) for r in records]

    async def change_owner(
        self, nft_id: UUID, *, expected_owner: UUID, new_owner: UUID, at: datetime
    ) -> bool:
        updated = await NftRecord.filter(id=nft_id, owner_id=expected_owner).update(
            owner_id=new_owner, updated_at=at
        )
        return updated == 1

    async def update_details(self, nft: Nft, *, expected_owner: UUID) -> bool:
        updated = await NftRecord.filter(id=nft.id, owner_id=expected_owner).update(
            name=nft.name,
            description=nft.description,
            metadata=metadata_to_contract(nft.metadata),
            updated_at=nft.updated_at,
        )
        return updated == 1

    async def set_moderation(self, nft: Nft) -> bool:
        updated = await NftRecord.filter(id=nft.id).update(
            hidden=nft.hidden, hidden_reason=nft.hidden_reason, updated_at=nft.updated_at
        )
        return updated == 1
