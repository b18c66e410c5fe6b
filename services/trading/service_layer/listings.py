"""Listing use cases: list an NFT (nft approves the sale for the listing), browse, cancel."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.trading.domain.errors import (
    ListingNotActive,
    ListingNotFound,
    NftAlreadyListed,
    NftRefused,
    NftServiceUnavailable,
    NotTheSeller,
)
from services.trading.domain.listing import Listing, ListingStatus
from services.trading.domain.money import Money
from services.trading.service_layer.deps import TradingDeps


async def create_listing(
    deps: TradingDeps, seller_id: UUID, nft_id: UUID, price_text: str, *, bearer: str | None
) -> Listing:
    """Store the listing first, then ask nft to approve the sale through it: an approval
    replaces any earlier one, so it must never be asked for while another listing of the NFT
    is open (the repository's unique open-listing constraint decides races). If nft refuses or
    cannot be asked, the listing is removed again and nothing changed."""
    price = Money.positive(price_text, "price")
    market = deps.marketplace
    if await market.listings.open_for(nft_id) is not None:
        raise NftAlreadyListed(nft_id)
    now = deps.clock()
    listing = Listing(deps.new_id(), nft_id, seller_id, price, ListingStatus.ACTIVE, now, now)
    async with deps.transaction():
        await market.listings.add(listing)
    try:
        await market.nft.approve_sale(nft_id, listing.id, bearer=bearer)
    except (NftRefused, NftServiceUnavailable):
        async with deps.transaction():
            # A purchase may have reserved it meanwhile: nft refuses that transfer (no
            # approval for this listing), and the saga's compensation cancels the listing.
            await market.listings.discard_if_active(listing.id)
        raise
    return listing


async def get_listing(deps: TradingDeps, listing_id: UUID) -> Listing:
    listing = await deps.marketplace.listings.get(listing_id)
    if listing is None:
        raise ListingNotFound(listing_id)
    return listing


async def listing_view(deps: TradingDeps, listing_id: UUID) -> dict[str, Any]:
    """The listing as the contract shows it (the get_listing operation)."""
    view = await deps.marketplace.listings.views().listing(listing_id)
    if view is None:
        raise ListingNotFound(listing_id)
    return view


async def listings_view(
    deps: TradingDeps,
    *,
    status: ListingStatus | None = None,
    nft_id: UUID | None = None,
    seller_id: UUID | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Listings as the contract shows them (the list_listings operation)."""
    return await deps.marketplace.listings.views().search(
        status=status, nft_id=nft_id, seller_id=seller_id, limit=limit, offset=offset
    )


async def cancel_listing(
    deps: TradingDeps, listing_id: UUID, caller_id: UUID, *, bearer: str | None
) -> Listing:
    """Cancel first (so no purchase can start), then withdraw nft's approval. If nft cannot
    be asked, the cancel is undone: the contract promises that a 503 changed nothing. A
    refusal (the seller no longer owns the NFT, or it is gone) leaves nothing to withdraw."""
    market = deps.marketplace
    listing = await get_listing(deps, listing_id)
    if listing.seller_id != caller_id:
        raise NotTheSeller(listing_id)
    if listing.status is ListingStatus.CANCELLED:
        return listing
    if not await _move(deps, listing, ListingStatus.ACTIVE, ListingStatus.CANCELLED):
        raise ListingNotActive(listing_id, str((await get_listing(deps, listing_id)).status))
    try:
        await market.nft.withdraw_approval(listing.nft_id, listing.id, bearer=bearer)
    except NftServiceUnavailable:
        await _move(deps, listing, ListingStatus.CANCELLED, ListingStatus.ACTIVE)
        raise
    except NftRefused:
        pass
    return await get_listing(deps, listing_id)


async def _move(
    deps: TradingDeps, listing: Listing, current: ListingStatus, new: ListingStatus
) -> bool:
    async with deps.transaction():
        return await deps.marketplace.listings.change_status(listing.id, current, new, deps.clock())
