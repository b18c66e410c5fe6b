"""Purchases (the saga's record, one per buyer and Idempotency-Key) and completed sales."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from services.trading.domain.money import Money

# Sale events' ids are derived, so a saga step that runs twice queues the same events.
_SALE_EVENTS = uuid.UUID("6c1f3b0e-5a4d-4e8b-9c2a-7d3e1f5a9b04")


class PurchaseStatus(StrEnum):
    PENDING = "pending"  # money held, listing reserved; the NFT's transfer is not confirmed
    COMPLETED = "completed"
    FAILED = "failed"  # compensated: money released, listing cancelled


@dataclass(frozen=True)
class Purchase:
    id: UUID
    buyer_id: UUID
    idempotency_key: str
    listing_id: UUID
    nft_id: UUID
    seller_id: UUID
    price: Money
    status: PurchaseStatus
    created_at: datetime
    updated_at: datetime
    failure_reason: str | None = None
    sale_id: UUID | None = None

    @property
    def transfer_key(self) -> str:
        """The nft service's Idempotency-Key for this purchase's transfer: every attempt of the
        saga's step 2 sends the same one, so the NFT moves once."""
        return f"purchase-{self.id}"

    def involves(self, user_id: UUID) -> bool:
        return user_id in (self.buyer_id, self.seller_id)


@dataclass(frozen=True)
class Sale:
    id: UUID
    listing_id: UUID
    purchase_id: UUID
    nft_id: UUID
    seller_id: UUID
    buyer_id: UUID
    price: Money
    completed_at: datetime
    nft_tx_hash: str | None = None

    def event_id(self, role: str) -> UUID:
        """`sale.completed`'s id for the buyer or the seller: the same on every redelivery."""
        return uuid.uuid5(_SALE_EVENTS, f"{self.id}:{role}")
