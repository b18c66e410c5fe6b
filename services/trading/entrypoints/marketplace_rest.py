"""Connexion handlers of the marketplace and wallet operations: parse -> use case -> contract
shape. Mixed into TradingHandlers (Connexion looks handlers up by operationId on one object)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from connexion import request

from services.common.forwarding import callers_bearer_token
from services.common.headers import IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED
from services.trading.domain.listing import ListingStatus
from services.trading.domain.purchase import PurchaseStatus
from services.trading.mappers import (
    listing_to_contract,
    purchase_to_contract,
    wallet_to_contract,
)
from services.trading.service_layer import listings, purchases, wallets
from services.trading.service_layer.deps import TradingDeps

Answer = tuple[dict[str, Any], int, dict[str, str]]


def _uuid(value: str | None) -> UUID | None:
    return None if value is None else UUID(value)


class MarketplaceHandlers:
    _deps: TradingDeps

    async def get_wallet(self, user: str) -> dict[str, Any]:
        return wallet_to_contract(await wallets.get_wallet(self._deps, UUID(user)))

    async def deposit_funds(self, body: dict[str, Any], user: str) -> tuple[dict[str, Any], int]:
        wallet = await wallets.deposit_funds(
            self._deps, UUID(user), body["amount"], key=request.headers.get(IDEMPOTENCY_KEY)
        )
        return wallet_to_contract(wallet), 201

    async def create_listing(self, body: dict[str, Any], user: str) -> Answer:
        listing = await listings.create_listing(
            self._deps,
            UUID(user),
            UUID(body["nftId"]),
            body["price"],
            bearer=callers_bearer_token(),
        )
        location = {"Location": f"/api/trading/listings/{listing.id}"}
        return listing_to_contract(listing), 201, location

    async def list_listings(
        self,
        limit: int,
        offset: int,
        status: str | None = None,
        nftId: str | None = None,
        sellerId: str | None = None,
    ) -> list[dict[str, Any]]:
        return await listings.listings_view(
            self._deps,
            status=None if status is None else ListingStatus(status),
            nft_id=_uuid(nftId),
            seller_id=_uuid(sellerId),
            limit=limit,
            offset=offset,
        )

    async def get_listing(self, listingId: str) -> dict[str, Any]:
        return await listings.listing_view(self._deps, UUID(listingId))

    async def cancel_listing(self, listingId: str, user: str) -> dict[str, Any]:
        listing = await listings.cancel_listing(
            self._deps, UUID(listingId), UUID(user), bearer=callers_bearer_token()
        )
        return listing_to_contract(listing)

    async def buy_listing(self, listingId: str, user: str) -> Answer:
        # Required by the contract (Connexion has checked it); the purchase records it itself.
        key = request.headers[IDEMPOTENCY_KEY]
        answer = await purchases.buy_listing(self._deps, UUID(user), UUID(listingId), key)
        body = purchase_to_contract(answer.purchase)
        if answer.purchase.status is PurchaseStatus.PENDING:
            retry_after = str(self._deps.marketplace.retry_after_seconds)
            return body, 202, {"Retry-After": retry_after}
        return body, 201, {IDEMPOTENT_REPLAYED: "true"} if answer.replayed else {}

    async def get_purchase(self, purchaseId: str, user: str) -> dict[str, Any]:
        purchase = await purchases.get_purchase(self._deps, UUID(purchaseId), UUID(user))
        return purchase_to_contract(purchase)

    async def list_sales(
        self, limit: int, offset: int, nftId: str | None = None
    ) -> list[dict[str, Any]]:
        return await purchases.sales_view(
            self._deps, nft_id=_uuid(nftId), limit=limit, offset=offset
        )
