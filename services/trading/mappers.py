"""The one place where trading's REST contract meets domain objects, and where domain objects
become outbox messages (plain JSON). What a consumer is sent of a message (analytics' Tick,
notification's PriceTickInput) is adapters/consumer_messages'."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.common.timestamps import rfc3339
from services.trading.domain.listing import Listing
from services.trading.domain.money import CURRENCY
from services.trading.domain.purchase import Purchase, Sale
from services.trading.domain.ticks import MarketDataTick
from services.trading.domain.wallet import Wallet


def tick_to_contract(tick: MarketDataTick) -> dict[str, Any]:
    return {
        "id": str(tick.id),
        "assetSymbol": tick.asset_symbol,
        "price": tick.price,
        "timestamp": tick.timestamp,
        "receivedAt": rfc3339(tick.received_at),
        "quantity": tick.quantity,
    }


def tick_to_message(tick: MarketDataTick) -> dict[str, Any]:
    """The outbox payload: what every consumer needs of a tick, as plain JSON."""
    return {
        "id": str(tick.id),
        "assetSymbol": tick.asset_symbol,
        "price": tick.price,
        "timestamp": tick.timestamp,
        "quantity": tick.quantity,
    }


def ticks_to_bundle(ticks: Sequence[MarketDataTick]) -> dict[str, Any]:
    """One outbox payload for a batch of ticks, in order: a consumer's relay reads, decodes
    and deletes one row per batch instead of one per tick."""
    return {"ticks": [tick_to_message(tick) for tick in ticks]}


# --- the marketplace -----------------------------------------------------------------------

NFT_ASSET = "NFT-USD"  # the market data asset every NFT sale is a trade of


def wallet_to_contract(wallet: Wallet) -> dict[str, Any]:
    return {
        "userId": str(wallet.user_id),
        "currency": CURRENCY,
        "available": str(wallet.available),
        "held": str(wallet.held),
    }


def listing_to_contract(listing: Listing) -> dict[str, Any]:
    return {
        "id": str(listing.id),
        "nftId": str(listing.nft_id),
        "sellerId": str(listing.seller_id),
        "price": str(listing.price),
        "currency": CURRENCY,
        "status": str(listing.status),
        "createdAt": rfc3339(listing.created_at),
        "updatedAt": rfc3339(listing.updated_at),
    }


def purchase_to_contract(purchase: Purchase) -> dict[str, Any]:
    return {
        "id": str(purchase.id),
        "listingId": str(purchase.listing_id),
        "nftId": str(purchase.nft_id),
        "buyerId": str(purchase.buyer_id),
        "sellerId": str(purchase.seller_id),
        "price": str(purchase.price),
        "currency": CURRENCY,
        "status": str(purchase.status),
        "failureReason": purchase.failure_reason,
        "saleId": None if purchase.sale_id is None else str(purchase.sale_id),
        "createdAt": rfc3339(purchase.created_at),
        "updatedAt": rfc3339(purchase.updated_at),
    }


def sale_to_contract(sale: Sale) -> dict[str, Any]:
    return {
        "id": str(sale.id),
        "listingId": str(sale.listing_id),
        "purchaseId": str(sale.purchase_id),
        "nftId": str(sale.nft_id),
        "sellerId": str(sale.seller_id),
        "buyerId": str(sale.buyer_id),
        "price": str(sale.price),
        "currency": CURRENCY,
        "nftTxHash": sale.nft_tx_hash,
        "completedAt": rfc3339(sale.completed_at),
    }


def sale_to_tick(sale: Sale) -> MarketDataTick:
    """The sale as a trade of one NFT-USD: its id is the sale's, so analytics (source_id) and
    notification (sourceId) count a redelivered or re-queued sale once."""
    return MarketDataTick(
        id=sale.id,
        asset_symbol=NFT_ASSET,
        price=float(sale.price),
        timestamp=int(sale.completed_at.timestamp() * 1000),
        received_at=sale.completed_at,
        quantity=1.0,
    )


def sale_to_event_messages(sale: Sale) -> list[dict[str, Any]]:
    """`sale.completed` for the buyer and the seller, each notification's
    NotificationEventInput as is."""
    data = {
        "saleId": str(sale.id),
        "nftId": str(sale.nft_id),
        "listingId": str(sale.listing_id),
        "sellerId": str(sale.seller_id),
        "buyerId": str(sale.buyer_id),
        "price": float(sale.price),
        "currency": CURRENCY,
    }
    return [
        {
            "eventId": str(sale.event_id(role)),
            "type": "sale.completed",
            "userId": str(user_id),
            "occurredAt": rfc3339(sale.completed_at),
            "data": data,
        }
        for role, user_id in (("buyer", sale.buyer_id), ("seller", sale.seller_id))
    ]
