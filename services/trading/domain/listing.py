"""Listings: an NFT offered at a price by its owner, and the states a listing moves through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from services.trading.domain.money import Money


class ListingStatus(StrEnum):
    ACTIVE = "active"  # for sale
    RESERVED = "reserved"  # a purchase is under way
    SOLD = "sold"
    CANCELLED = "cancelled"  # by the seller, or because the NFT could not be transferred


# Every allowed move; repositories apply them as compare-and-set on the current status.
TRANSITIONS: frozenset[tuple[ListingStatus, ListingStatus]] = frozenset(
    {
        (ListingStatus.ACTIVE, ListingStatus.RESERVED),
        (ListingStatus.ACTIVE, ListingStatus.CANCELLED),
        (ListingStatus.CANCELLED, ListingStatus.ACTIVE),  # undo a cancel nft could not confirm
        (ListingStatus.RESERVED, ListingStatus.SOLD),
        (ListingStatus.RESERVED, ListingStatus.CANCELLED),
    }
)
# An NFT has at most one listing in these states.
OPEN = frozenset({ListingStatus.ACTIVE, ListingStatus.RESERVED})


def check_transition(current: ListingStatus, new: ListingStatus) -> None:
    if (current, new) not in TRANSITIONS:
        raise ValueError(f"a listing cannot go from {current} to {new}")


@dataclass(frozen=True)
class Listing:
    id: UUID
    nft_id: UUID
    seller_id: UUID
    price: Money
    status: ListingStatus
    created_at: datetime
    updated_at: datetime

    @property
    def is_open(self) -> bool:
        return self.status in OPEN
