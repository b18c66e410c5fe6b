"""Buying a listing: the saga of the contract's description, each step its own local
transaction, and reading purchases and sales.

1. reserve: insert the purchase (pending), reserve the listing, hold the buyer's money;
2. transfer: nft moves the NFT, keyed by the purchase (a repeat transfers once);
3. settle (transferred) or compensate (refused); an unknown outcome leaves it pending, to be
   resumed by a retry with the same key or by the PurchaseResumer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from services.common.idempotency import IdempotencyKeyReused
from services.trading.domain.errors import (
    ListingNotActive,
    ListingNotFound,
    NotAParty,
    OwnListing,
    PurchaseFailed,
    PurchaseNotFound,
)
from services.trading.domain.listing import ListingStatus
from services.trading.domain.purchase import Purchase, PurchaseStatus
from services.trading.domain.wallet import EntryReason
from services.trading.service_layer import settlement
from services.trading.service_layer.deps import TradingDeps
from services.trading.service_layer.ports import DuplicatePurchase


@dataclass(frozen=True)
class PurchaseAnswer:
    purchase: Purchase  # completed or pending; a failed one is raised as PurchaseFailed
    replayed: bool  # completed before this request (same key)


async def buy_listing(
    deps: TradingDeps, buyer_id: UUID, listing_id: UUID, key: str
) -> PurchaseAnswer:
    """The buyer's purchase named by `key`: started (steps 1-3) if new, resumed if pending,
    answered as it is if finished. Raises for step 1's refusals (nothing stored then) and
    PurchaseFailed for a compensated one; a key used for another listing is a 422."""
    existing = await deps.marketplace.purchases.by_key(buyer_id, key)
    if existing is None:
        try:
            existing = await _reserve(deps, buyer_id, listing_id, key)
        except DuplicatePurchase:
            # A concurrent request with the same key inserted first: answer its purchase.
            existing = await deps.marketplace.purchases.by_key(buyer_id, key)
            if existing is None:  # the unique index fired, yet there is no row: let it surface
                raise
        else:
            return _answer(await settlement.resume(deps, existing), replayed=False)
    if existing.listing_id != listing_id:
        raise IdempotencyKeyReused()
    if existing.status is PurchaseStatus.PENDING:
        return _answer(await settlement.resume(deps, existing), replayed=False)
    return _answer(existing, replayed=True)


def _answer(purchase: Purchase, *, replayed: bool) -> PurchaseAnswer:
    if purchase.status is PurchaseStatus.FAILED:
        raise PurchaseFailed(purchase.id, purchase.failure_reason or "the transfer was refused")
    return PurchaseAnswer(purchase, replayed=replayed)


async def _reserve(deps: TradingDeps, buyer_id: UUID, listing_id: UUID, key: str) -> Purchase:
    """Step 1, one transaction: anything refused (unknown or own listing, not active, not
    enough money) rolls it all back, so nothing is stored then."""
    market = deps.marketplace
    listing = await market.listings.get(listing_id)
    if listing is None:
        raise ListingNotFound(listing_id)
    if listing.seller_id == buyer_id:
        raise OwnListing(listing_id)
    now = deps.clock()
    purchase = Purchase(
        id=deps.new_id(),
        buyer_id=buyer_id,
        idempotency_key=key,
        listing_id=listing.id,
        nft_id=listing.nft_id,
        seller_id=listing.seller_id,
        price=listing.price,
        status=PurchaseStatus.PENDING,
        created_at=now,
        updated_at=now,
    )
    async with deps.transaction():
        await market.purchases.add(purchase)
        reserved = await market.listings.change_status(
            listing.id, ListingStatus.ACTIVE, ListingStatus.RESERVED, now
        )
        if not reserved:
            current = await market.listings.get(listing.id)
            raise ListingNotActive(listing.id, str(current.status if current else "gone"))
        await market.wallets.apply(
            buyer_id, EntryReason.HOLD, listing.price, now, purchase_id=purchase.id
        )
    return purchase


async def get_purchase(deps: TradingDeps, purchase_id: UUID, caller_id: UUID) -> Purchase:
    purchase = await deps.marketplace.purchases.get(purchase_id)
    if purchase is None:
        raise PurchaseNotFound(purchase_id)
    if not purchase.involves(caller_id):
        raise NotAParty(purchase_id)
    return purchase


async def sales_view(
    deps: TradingDeps, *, nft_id: UUID | None = None, limit: int = 50, offset: int = 0
) -> list[dict[str, Any]]:
    """Sales as the contract shows them (the list_sales operation)."""
    return await deps.marketplace.sales.views().search(nft_id=nft_id, limit=limit, offset=offset)
