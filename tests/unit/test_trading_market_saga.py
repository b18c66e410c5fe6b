"""Listings, deposits and the purchase saga through the use cases, on in-memory fakes (with
rollback) and a fake nft service that dedupes transfers by Idempotency-Key like the real one."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from services.common.idempotency import IdempotencyKeyReused
from services.trading.domain.errors import (
    InsufficientFunds,
    InvalidAmount,
    ListingNotActive,
    ListingNotFound,
    NftAlreadyListed,
    NftForbidden,
    NftServiceUnavailable,
    NotTheSeller,
    OwnListing,
    PurchaseFailed,
)
from services.trading.domain.listing import ListingStatus
from services.trading.domain.money import Money
from services.trading.domain.purchase import PurchaseStatus
from services.trading.domain.wallet import EntryReason
from services.trading.service_layer import listings, purchases, wallets
from services.trading.service_layer.resumer import PurchaseResumer, ResumePolicy
from tests.unit.trading_market_fakes import Market, build_market

pytestmark = pytest.mark.unit

SELLER = UUID("11111111-1111-4111-8111-111111111111")
BUYER = UUID("22222222-2222-4222-8222-222222222222")


@pytest.fixture
def market(clock) -> Market:
    return build_market(clock)


async def list_nft(market: Market, price: str = "25.00", seller: UUID = SELLER):
    nft_id = market.nft.mint(seller)
    return await listings.create_listing(market.deps, seller, nft_id, price, bearer=str(seller))


async def fund(market: Market, user: UUID = BUYER, amount: str = "100.00") -> None:
    await wallets.deposit_funds(market.deps, user, amount)


async def buy(market: Market, listing_id: UUID, key: str = "k-1", buyer: UUID = BUYER):
    return await purchases.buy_listing(market.deps, buyer, listing_id, key)


async def balances(market: Market, user: UUID) -> tuple[str, str]:
    wallet = await wallets.get_wallet(market.deps, user)
    return str(wallet.available), str(wallet.held)


def reasons(market: Market, user: UUID) -> list[str]:
    return [str(e.reason) for e in market.state.entries if e.user_id == user]


# --- wallets -------------------------------------------------------------------------------


async def test_a_deposit_is_collected_then_credited_with_its_entry(market):
    wallet = await wallets.deposit_funds(market.deps, BUYER, "12.5", key="dep-1")
    assert (str(wallet.available), str(wallet.held)) == ("12.50", "0.00")
    assert market.payments.collected == [(BUYER, Money(1250), "dep-1")]
    [entry] = market.state.entries
    assert (entry.reason, entry.available_delta, entry.reference) == (
        EntryReason.DEPOSIT,
        1250,
        "test-1",
    )


async def test_a_zero_deposit_is_refused_before_the_provider_is_asked(market):
    with pytest.raises(InvalidAmount):
        await wallets.deposit_funds(market.deps, BUYER, "0")
    assert market.payments.collected == [] and market.state.entries == []


async def test_a_user_who_never_deposited_has_an_empty_wallet(market):
    assert await balances(market, uuid4()) == ("0.00", "0.00")


# --- listings ------------------------------------------------------------------------------


async def test_listing_asks_nft_to_approve_the_sale_with_the_sellers_token(market):
    listing = await list_nft(market)
    assert listing.status is ListingStatus.ACTIVE and str(listing.price) == "25.00"
    assert market.nft.approvals == {listing.nft_id: listing.id}
    assert market.nft.bearers == [str(SELLER)]


async def test_an_nft_has_one_open_listing_and_nft_is_not_asked_for_a_second(market):
    first = await list_nft(market)
    with pytest.raises(NftAlreadyListed):
        await listings.create_listing(market.deps, SELLER, first.nft_id, "30", bearer=str(SELLER))
    assert market.nft.approvals == {first.nft_id: first.id}  # the first is still sellable
    assert len(market.nft.bearers) == 1


async def test_a_listing_nft_refuses_or_cannot_confirm_is_not_kept(market):
    nft_id = market.nft.mint(SELLER)
    with pytest.raises(NftForbidden):
        await listings.create_listing(market.deps, BUYER, nft_id, "5", bearer=str(BUYER))
    market.nft.unavailable = True
    with pytest.raises(NftServiceUnavailable):
        await listings.create_listing(market.deps, SELLER, nft_id, "5", bearer=str(SELLER))
    assert market.state.listings == {}


async def test_a_zero_price_is_refused(market):
    with pytest.raises(InvalidAmount):
        await listings.create_listing(
            market.deps, SELLER, market.nft.mint(SELLER), "0.00", bearer=str(SELLER)
        )
    assert market.nft.bearers == []


async def test_the_seller_cancels_and_nft_withdraws_the_approval(market):
    listing = await list_nft(market)
    with pytest.raises(NotTheSeller):
        await listings.cancel_listing(market.deps, listing.id, BUYER, bearer=str(BUYER))
    cancelled = await listings.cancel_listing(market.deps, listing.id, SELLER, bearer=str(SELLER))
    assert cancelled.status is ListingStatus.CANCELLED and market.nft.approvals == {}
    again = await listings.cancel_listing(market.deps, listing.id, SELLER, bearer=str(SELLER))
    assert again == cancelled


async def test_a_cancel_nft_cannot_confirm_changes_nothing(market):
    listing = await list_nft(market)
    market.nft.unavailable = True
    with pytest.raises(NftServiceUnavailable):
        await listings.cancel_listing(market.deps, listing.id, SELLER, bearer=str(SELLER))
    assert (await listings.get_listing(market.deps, listing.id)).status is ListingStatus.ACTIVE


async def test_listings_are_filtered_and_newest_first(market, clock):
    first = await list_nft(market)
    clock.advance()
    second = await list_nft(market, seller=BUYER)
    found = await listings.listings_view(market.deps, status=ListingStatus.ACTIVE)
    assert [x["id"] for x in found] == [str(second.id), str(first.id)]
    by_seller = await listings.listings_view(market.deps, seller_id=SELLER)
    assert [x["id"] for x in by_seller] == [str(first.id)]
    assert await listings.listings_view(market.deps, nft_id=uuid4()) == []


# --- the saga: success ---------------------------------------------------------------------


async def test_a_purchase_moves_money_nft_and_queues_the_sale(market, clock):
    listing = await list_nft(market)
    await fund(market)
    answer = await buy(market, listing.id)
    purchase = answer.purchase
    assert purchase.status is PurchaseStatus.COMPLETED and not answer.replayed
    assert await balances(market, BUYER) == ("75.00", "0.00")
    assert await balances(market, SELLER) == ("25.00", "0.00")
    assert reasons(market, BUYER) == ["deposit", "hold", "settle"]
    assert reasons(market, SELLER) == ["payout"]
    assert market.state.listings[listing.id].status is ListingStatus.SOLD
    assert market.nft.owners[listing.nft_id] == BUYER
    [sale] = market.state.sales.values()
    assert (sale.id, sale.purchase_id, sale.nft_tx_hash) == (
        purchase.sale_id,
        purchase.id,
        "1".zfill(64),
    )

    tick = {
        "id": str(sale.id),
        "assetSymbol": "NFT-USD",
        "price": 25.0,
        "timestamp": int(clock.now.timestamp() * 1000),
        "quantity": 1.0,
    }
    queued = [(m.topic, m.payload) for m in market.outbox.messages.values()]
    assert queued[:2] == [("analytics.ticks", tick), ("notification.price-ticks", tick)]
    events = [p for topic, p in queued if topic == "notification.events"]
    assert [(e["type"], e["userId"]) for e in events] == [
        ("sale.completed", str(BUYER)),
        ("sale.completed", str(SELLER)),
    ]
    assert {e["eventId"] for e in events} == {
        str(sale.event_id("buyer")),
        str(sale.event_id("seller")),
    }
    assert events[0]["data"] == {
        "saleId": str(sale.id),
        "nftId": str(listing.nft_id),
        "listingId": str(listing.id),
        "sellerId": str(SELLER),
        "buyerId": str(BUYER),
        "price": 25.0,
        "currency": "USD",
    }
    assert list(market.ticks.ticks) == [sale.id]  # kept as NFT-USD market data too
    assert market.wakeups == ["wake"]
    sold = await purchases.sales_view(market.deps, nft_id=listing.nft_id)
    assert [s["id"] for s in sold] == [str(sale.id)]


async def test_the_same_key_again_answers_the_completed_purchase_without_a_new_transfer(market):
    listing = await list_nft(market)
    await fund(market)
    first = await buy(market, listing.id)
    again = await buy(market, listing.id)
    assert again.purchase == first.purchase and again.replayed
    assert market.nft.calls == 1


# --- the saga: refused in step 1 (nothing stored) ------------------------------------------


async def test_not_enough_money_stores_nothing(market):
    listing = await list_nft(market, price="150")
    await fund(market)
    with pytest.raises(InsufficientFunds):
        await buy(market, listing.id)
    assert market.state.purchases == {}
    assert market.state.listings[listing.id].status is ListingStatus.ACTIVE
    assert await balances(market, BUYER) == ("100.00", "0.00")
    assert reasons(market, BUYER) == ["deposit"] and market.nft.calls == 0


async def test_a_seller_cannot_buy_their_own_listing(market):
    listing = await list_nft(market)
    await fund(market, SELLER)
    with pytest.raises(OwnListing):
        await buy(market, listing.id, buyer=SELLER)
    assert market.state.purchases == {} and market.nft.calls == 0


async def test_an_unknown_or_taken_listing_is_refused(market):
    with pytest.raises(ListingNotFound):
        await buy(market, uuid4())
    listing = await list_nft(market)
    await fund(market)
    await fund(market, uuid4())
    await buy(market, listing.id)
    with pytest.raises(ListingNotActive):
        await buy(market, listing.id, key="other-buyer", buyer=uuid4())


async def test_a_key_used_for_another_listing_is_422_and_changes_nothing(market):
    first, second = await list_nft(market), await list_nft(market)
    await fund(market)
    await buy(market, first.id)
    with pytest.raises(IdempotencyKeyReused):
        await buy(market, second.id)
    assert market.state.listings[second.id].status is ListingStatus.ACTIVE
    assert len(market.state.purchases) == 1


# --- the saga: nft refuses -> compensation -------------------------------------------------


async def test_a_refused_transfer_gives_the_money_back_and_cancels_the_listing(market):
    listing = await list_nft(market)
    await fund(market)
    market.nft.mode = "refuse"
    with pytest.raises(PurchaseFailed) as failed:
        await buy(market, listing.id)
    [purchase] = market.state.purchases.values()
    assert purchase.status is PurchaseStatus.FAILED
    assert purchase.failure_reason == failed.value.reason
    assert failed.value.reason.startswith("nft refused the transfer: NFT ")  # nft's detail
    assert await balances(market, BUYER) == ("100.00", "0.00")
    assert reasons(market, BUYER) == ["deposit", "hold", "release"]
    assert market.state.listings[listing.id].status is ListingStatus.CANCELLED
    assert market.state.sales == {} and market.outbox.messages == {}

    with pytest.raises(PurchaseFailed) as again:  # the same answer, no second attempt
        await buy(market, listing.id)
    assert str(again.value) == str(failed.value) and market.nft.calls == 1


# --- the saga: unknown outcome -> pending -> resumed ---------------------------------------


async def test_an_unknown_outcome_stays_pending_with_the_money_held(market):
    listing = await list_nft(market)
    await fund(market)
    market.nft.mode = "down"
    answer = await buy(market, listing.id)
    assert answer.purchase.status is PurchaseStatus.PENDING
    assert await balances(market, BUYER) == ("75.00", "25.00")
    assert market.state.listings[listing.id].status is ListingStatus.RESERVED


@pytest.mark.parametrize("mode", ["down", "lost"])
async def test_a_retry_with_the_same_key_completes_it_with_one_transfer(market, mode):
    listing = await list_nft(market)
    await fund(market)
    market.nft.mode = mode  # lost: nft moved the NFT but its answer never arrived
    pending = await buy(market, listing.id)
    market.nft.mode = "ok"
    done = await buy(market, listing.id)
    assert done.purchase.id == pending.purchase.id
    assert done.purchase.status is PurchaseStatus.COMPLETED
    assert len(market.nft.transfers) == 1 and len(market.state.sales) == 1
    assert await balances(market, BUYER) == ("75.00", "0.00")
    assert await balances(market, SELLER) == ("25.00", "0.00")


async def test_the_resumer_completes_a_purchase_nobody_retries(market, clock):
    listing = await list_nft(market)
    await fund(market)
    market.nft.mode = "lost"
    pending = (await buy(market, listing.id)).purchase
    market.nft.mode = "ok"
    resumer = PurchaseResumer(market.deps, ResumePolicy(stale_after_seconds=5))
    clock.advance(4)
    assert await resumer.run_once() == 0  # a request may still be working on it
    clock.advance(2)
    assert await resumer.run_once() == 1
    assert market.state.purchases[pending.id].status is PurchaseStatus.COMPLETED
    assert await resumer.run_once() == 0
    assert len(market.nft.transfers) == 1 and len(market.state.sales) == 1

    late_retry = await buy(market, listing.id)  # the buyer comes back: the same purchase
    assert late_retry.replayed and late_retry.purchase.status is PurchaseStatus.COMPLETED


async def test_the_resumer_compensates_a_refused_pending_purchase(market, clock):
    listing = await list_nft(market)
    await fund(market)
    market.nft.mode = "down"
    await buy(market, listing.id)
    market.nft.mode = "refuse"
    clock.advance(10)
    assert await PurchaseResumer(market.deps).run_once() == 1
    [purchase] = market.state.purchases.values()
    assert purchase.status is PurchaseStatus.FAILED
    assert await balances(market, BUYER) == ("100.00", "0.00")


async def test_a_resumer_that_stays_unknown_touches_the_purchase_and_waits_again(market, clock):
    listing = await list_nft(market)
    await fund(market)
    market.nft.mode = "down"
    await buy(market, listing.id)
    resumer = PurchaseResumer(market.deps, ResumePolicy(stale_after_seconds=5))
    clock.advance(6)
    assert await resumer.run_once() == 1
    assert await resumer.run_once() == 0  # touched just now
    [purchase] = market.state.purchases.values()
    assert purchase.status is PurchaseStatus.PENDING


async def test_the_resumer_starts_and_stops_with_the_app(market):
    async with PurchaseResumer(market.deps, ResumePolicy(interval_seconds=3600)).running():
        pass  # leaving the block cancels the loop; it must not hang or raise


async def test_a_concurrent_duplicate_answers_the_winners_purchase(market, monkeypatch):
    listing = await list_nft(market)
    await fund(market)
    market.nft.mode = "down"
    winner = (await buy(market, listing.id)).purchase
    market.nft.mode = "ok"
    # The second request looked the key up before the first one's insert was committed.
    repo = market.deps.marketplace.purchases
    look_up = repo.by_key
    misses = iter([None])

    async def not_yet_committed(buyer_id, key):
        return next(misses, None) or await look_up(buyer_id, key)

    monkeypatch.setattr(repo, "by_key", not_yet_committed)
    answer = await buy(market, listing.id)
    assert answer.purchase.id == winner.id
    assert answer.purchase.status is PurchaseStatus.COMPLETED
    assert len(market.state.purchases) == 1 and len(market.nft.transfers) == 1
    assert await balances(market, BUYER) == ("75.00", "0.00")  # held once, settled once
