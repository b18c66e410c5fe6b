"""ListingRepository on Tortoise ORM. Status changes are compare-and-set UPDATEs (WHERE status
= the expected one): of two concurrent changes, exactly one applies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise.exceptions import IntegrityError

from services.trading.adapters.marketplace_views import SqlListingViews
from services.trading.adapters.orm import ListingRecord
from services.trading.domain.errors import NftAlreadyListed
from services.trading.domain.listing import OPEN, Listing, ListingStatus, check_transition
from services.trading.domain.money import Money


def _listing(r: ListingRecord) -> Listing:
    return Listing(
        r.id, r.nft_id, r.seller_id, Money(r.price_cents), ListingStatus(r.status),
        r.created_at, r.updated_at,
    )  # fmt: skip


class TortoiseListingRepository:
    def __init__(self) -> None:
        self._views = SqlListingViews()

    def views(self) -> SqlListingViews:
        return self._views

    async def add(self, listing: Listing) -> None:
        try:
            await ListingRecord.create(
                id=listing.id,
                nft_id=listing.nft_id,
                seller_id=listing.seller_id,
                price_cents=listing.price.cents,
                status=str(listing.status),
                open_nft_id=listing.nft_id if listing.is_open else None,
                created_at=listing.created_at,
                updated_at=listing.updated_at,
            )
        except IntegrityError as error:
            raise NftAlreadyListed(listing.nft_id) from error

    async def get(self, listing_id: UUID) -> Listing | None:
        record = await ListingRecord.get_or_none(id=listing_id)
        return None if record is None else _listing(record)

    async def open_for(self, nft_id: UUID) -> Listing | None:
        record = await ListingRecord.get_or_none(open_nft_id=nft_id)
        return None if record is None else _listing(record)

    async def change_status(
        self, listing_id: UUID, current: ListingStatus, new: ListingStatus, at: datetime
    ) -> bool:
        check_transition(current, new)
        changes: dict[str, Any] = {"status": str(new), "updated_at": at}
        if new not in OPEN:
            changes["open_nft_id"] = None
        elif current not in OPEN:  # re-opened: the NFT must not have another open listing
            record = await ListingRecord.get_or_none(id=listing_id)
            changes["open_nft_id"] = None if record is None else record.nft_id
        try:
            changed = await ListingRecord.filter(id=listing_id, status=str(current)).update(
                **changes
            )
        except IntegrityError:
            return False
        return changed == 1

    async def discard_if_active(self, listing_id: UUID) -> bool:
        deleted = await ListingRecord.filter(
            id=listing_id, status=str(ListingStatus.ACTIVE)
        ).delete()
        return deleted == 1

    async def search(
        self,
        *,
        status: ListingStatus | None,
        nft_id: UUID | None,
        seller_id: UUID | None,
        limit: int,
        offset: int,
    ) -> Sequence[Listing]:
        wanted: dict[str, Any] = {}
        if status is not None:
            wanted["status"] = str(status)
        if nft_id is not None:
            wanted["nft_id"] = nft_id
        if seller_id is not None:
            wanted["seller_id"] = seller_id
        records = (
            await ListingRecord.filter(**wanted)
            .order_by("-created_at", "-id")
            .offset(offset)
            .limit(limit)
        )
        return [_listing(r) for r in records]
