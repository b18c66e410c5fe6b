"""The saga's steps 2 and 3 for a pending purchase: ask nft to transfer the NFT, then settle
or compensate in one local transaction. Run by the buyer's request, by a retry with the same
key and by the resumer, possibly at once: the transfer is keyed by the purchase (nft moves the
NFT once), and step 3 starts with a compare-and-set on the purchase, so it happens once."""

from __future__ import annotations

import logging

from services.trading.domain.listing import ListingStatus
from services.trading.domain.purchase import Purchase, PurchaseStatus, Sale
from services.trading.domain.wallet import EntryReason
from services.trading.mappers import sale_to_event_messages, sale_to_tick, tick_to_message
from services.trading.service_layer.deps import TradingDeps
from services.trading.service_layer.ports import (
    Transferred,
    TransferRefused,
    TransferRequest,
    TransferUnknown,
)
from services.trading.service_layer.topics import NOTIFICATION_EVENTS_TOPIC, TICK_TOPICS

log = logging.getLogger(__name__)

MAX_REASON = 500  # the contract's failureReason


async def resume(deps: TradingDeps, purchase: Purchase) -> Purchase:
    """The purchase after one more attempt: completed, failed, or still pending."""
    market = deps.marketplace
    request = TransferRequest(
        listing_id=purchase.listing_id,
        nft_id=purchase.nft_id,
        seller_id=purchase.seller_id,
        buyer_id=purchase.buyer_id,
    )
    outcome = await market.nft.transfer_sold(request, key=purchase.transfer_key)
    if isinstance(outcome, Transferred):
        await _settle(deps, purchase, outcome.tx_hash)
    elif isinstance(outcome, TransferRefused):
        await _compensate(deps, purchase, f"nft refused the transfer: {outcome.reason}")
    else:
        await _still_pending(deps, purchase, outcome)
    current = await market.purchases.get(purchase.id)
    if current is None:  # purchases are never deleted
        raise RuntimeError(f"purchase {purchase.id} disappeared")
    return current


async def _settle(deps: TradingDeps, purchase: Purchase, tx_hash: str | None) -> None:
    market = deps.marketplace
    now = deps.clock()
    sale = Sale(
        id=deps.new_id(),
        listing_id=purchase.listing_id,
        purchase_id=purchase.id,
        nft_id=purchase.nft_id,
        seller_id=purchase.seller_id,
        buyer_id=purchase.buyer_id,
        price=purchase.price,
        completed_at=now,
        nft_tx_hash=tx_hash,
    )
    async with deps.transaction():
        done = await market.purchases.finish(
            purchase.id, PurchaseStatus.COMPLETED, now, sale_id=sale.id
        )
        if not done:  # another resumer settled (or compensated) it first
            return
        price, paid = purchase.price, purchase.id
        await market.wallets.apply(
            purchase.buyer_id, EntryReason.SETTLE, price, now, purchase_id=paid
        )
        await market.wallets.apply(
            purchase.seller_id, EntryReason.PAYOUT, price, now, purchase_id=paid
        )
        await market.listings.change_status(
            purchase.listing_id, ListingStatus.RESERVED, ListingStatus.SOLD, now
        )
        await market.sales.add(sale)
        # The trade as market data (kept like any tick, and queued for analytics and
        # notification's price alerts), and the users' notifications: all with the sale.
        tick = sale_to_tick(sale)
        await deps.ticks.add(tick)
        for topic in TICK_TOPICS:
            await deps.outbox.add(topic, tick_to_message(tick))
        for message in sale_to_event_messages(sale):
            await deps.outbox.add(NOTIFICATION_EVENTS_TOPIC, message)
    deps.wake_relay()


async def _compensate(deps: TradingDeps, purchase: Purchase, reason: str) -> None:
    market = deps.marketplace
    now = deps.clock()
    async with deps.transaction():
        done = await market.purchases.finish(
            purchase.id, PurchaseStatus.FAILED, now, failure_reason=reason[:MAX_REASON]
        )
        if not done:
            return
        await market.wallets.apply(
            purchase.buyer_id, EntryReason.RELEASE, purchase.price, now, purchase_id=purchase.id
        )
        await market.listings.change_status(
            purchase.listing_id, ListingStatus.RESERVED, ListingStatus.CANCELLED, now
        )


async def _still_pending(deps: TradingDeps, purchase: Purchase, outcome: TransferUnknown) -> None:
    log.warning("purchase %s stays pending: %s", purchase.id, outcome.reason)
    # Touched: the resumer leaves it alone for a while, since someone just tried.
    async with deps.transaction():
        await deps.marketplace.purchases.claim(purchase, deps.clock())
