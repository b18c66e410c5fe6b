"""NftRepository on Tortoise ORM; maps rows to domain objects and back.

Metadata is stored as JSON in the contract's shape, so it reads back exactly as it was given."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from tortoise.transactions import in_transaction

from services.common.outbox_orm import TortoiseOutboxStore
from services.common.sql_inserts import insert_row, insert_step
from services.common.sql_trips import fetch_together
from services.nft.adapters.local_ledger import LocalLedgerChain
from services.nft.adapters.orm import CONNECTION, NftRecord, NftVersionRecord, OutboxMessage
from services.nft.adapters.views import SqlNftViews
from services.nft.domain.model import MetadataVersion, Nft, SaleApproval
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
        token_id=record.token_id,
        mint_tx_hash=record.mint_tx_hash,
        last_tx_hash=record.last_tx_hash,
        version=record.version,
        sale_approval=_approval(record),
    )


def _approval(record: NftRecord) -> SaleApproval | None:
    if record.sale_listing_id is None or record.sale_approved_by is None:
        return None
    return SaleApproval(listing_id=record.sale_listing_id, approved_by=record.sale_approved_by)


# Every transfer writes these: a new owner starts without a sale approval.
NO_APPROVAL = {"sale_listing_id": None, "sale_approved_by": None}


def _version_to_domain(record: NftVersionRecord) -> MetadataVersion:
    return MetadataVersion(
        nft_id=record.nft_id,
        version=record.version,
        name=record.name,
        description=record.description,
        metadata=metadata_from_contract(record.metadata),
        changed_by=record.changed_by,
        changed_at=record.changed_at,
    )


def outbox_store() -> TortoiseOutboxStore:
    """nft's outbox table; the writer (a use case) and the relay each use one."""
    return TortoiseOutboxStore(OutboxMessage, lambda: datetime.now(UTC))


def _nft_row(nft: Nft) -> dict[str, Any]:
    return {
        "id": nft.id,
        "name": nft.name,
        "description": nft.description,
        "metadata": metadata_to_contract(nft.metadata),
        "owner_id": nft.owner_id,
        "creator_id": nft.creator_id,
        "created_at": nft.created_at,
        "updated_at": nft.updated_at,
        "hidden": False,
        "token_id": nft.token_id,
        "mint_tx_hash": nft.mint_tx_hash,
        "last_tx_hash": nft.last_tx_hash,
        "version": nft.version,
    }


def _version_row(version: MetadataVersion) -> dict[str, Any]:
    return {
        "nft_id": version.nft_id,
        "version": version.version,
        "name": version.name,
        "description": version.description,
        "metadata": metadata_to_contract(version.metadata),
        "changed_by": version.changed_by,
        "changed_at": version.changed_at,
    }


class TortoiseNftRepository:
    def atomic(self) -> AbstractAsyncContextManager[object]:
        # Tortoise binds the transaction to this task; nested, it is a savepoint.
        return in_transaction(CONNECTION)

    def local_chain(self) -> LocalLedgerChain:
        return LocalLedgerChain()

    def local_outbox(self) -> TortoiseOutboxStore:
        return outbox_store()

    def views(self) -> SqlNftViews:
        return SqlNftViews()

    async def add(self, nft: Nft) -> None:
        # A prepared INSERT (every mint runs it), not NftRecord.create.
        await insert_row(CONNECTION, NftRecord, _nft_row(nft))

    async def add_minted(self, nft: Nft, first_version: MetadataVersion) -> None:
        # Both INSERTs in one trip to the database (every mint runs them).
        await fetch_together(
            CONNECTION,
            insert_step(NftRecord, _nft_row(nft)),
            insert_step(NftVersionRecord, _version_row(first_version)),
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
        self,
        nft_id: UUID,
        *,
        expected_owner: UUID,
        new_owner: UUID,
        at: datetime,
        approved_listing: UUID | None = None,
    ) -> bool:
        query = NftRecord.filter(id=nft_id, owner_id=expected_owner)
        if approved_listing is not None:  # a sale: still approved, and not hidden meanwhile
            query = query.filter(
                sale_listing_id=approved_listing, sale_approved_by=expected_owner, hidden=False
            )
        updated = await query.update(owner_id=new_owner, updated_at=at, **NO_APPROVAL)
        return updated == 1

    async def approve_sale(
        self, nft_id: UUID, *, listing_id: UUID, approved_by: UUID, at: datetime
    ) -> bool:
        updated = await NftRecord.filter(id=nft_id, owner_id=approved_by, hidden=False).update(
            sale_listing_id=listing_id, sale_approved_by=approved_by, updated_at=at
        )
        return updated == 1

    async def withdraw_sale_approval(
        self, nft_id: UUID, *, approved_by: UUID, listing_id: UUID | None, at: datetime
    ) -> bool:
        query = NftRecord.filter(id=nft_id, sale_approved_by=approved_by)
        if listing_id is not None:
            query = query.filter(sale_listing_id=listing_id)
        return await query.update(updated_at=at, **NO_APPROVAL) == 1

    async def record_transaction(self, nft_id: UUID, tx_hash: str) -> None:
        await NftRecord.filter(id=nft_id).update(last_tx_hash=tx_hash)

    async def update_details(
        self, nft: Nft, *, expected_owner: UUID, expected_version: int
    ) -> bool:
        updated = await NftRecord.filter(
            id=nft.id, owner_id=expected_owner, version=expected_version
        ).update(
            name=nft.name,
            description=nft.description,
            metadata=metadata_to_contract(nft.metadata),
            updated_at=nft.updated_at,
            version=nft.version,
        )
        return updated == 1

    async def add_version(self, version: MetadataVersion) -> None:
        await insert_row(CONNECTION, NftVersionRecord, _version_row(version))

    async def versions(self, nft_id: UUID, *, limit: int, offset: int) -> Sequence[MetadataVersion]:
        records = (
            await NftVersionRecord.filter(nft_id=nft_id)
            .order_by("-version")
            .offset(offset)
            .limit(limit)
        )
        return [_version_to_domain(r) for r in records]

    async def set_moderation(self, nft: Nft) -> bool:
        updated = await NftRecord.filter(id=nft.id).update(
            hidden=nft.hidden, hidden_reason=nft.hidden_reason, updated_at=nft.updated_at
        )
        return updated == 1
