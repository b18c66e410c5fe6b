"""The marketplace's compare-and-set steps on real databases (SQLite and PostgreSQL): balances
never go below zero, an NFT has one open listing, a listing is reserved by one buyer, a
purchase's key is used once and a purchase finishes once — also when requests race — and the
whole saga commits or compensates with its rows, entries and outbox messages together."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from functools import partial
from uuid import UUID, uuid4

import pytest
from prometheus_client.parser import text_string_to_metric_families
from tortoise.transactions import in_transaction

from services.common.database import service_database
from services.common.metrics import AppMetrics
from services.common.outbox_orm import TortoiseOutboxStore
from services.trading.adapters.listing_repository import TortoiseListingRepository
from services.trading.adapters.orm import OutboxMessage, PurchaseRecord
from services.trading.adapters.purchase_metrics import PurchaseStateGauge
from services.trading.adapters.purchase_repository import (
    TortoisePurchaseRepository,
    TortoiseSaleRepository,
)
from services.trading.adapters.tick_repository import TortoiseTickRepository
from services.trading.adapters.wallet_repository import TortoiseWalletRepository
from services.trading.bootstrap import build_deps
from services.trading.config import TradingSettings
from services.trading.domain.errors import (
    InsufficientFunds,
    NftAlreadyListed,
    WalletLimitExceeded,
)
from services.trading.domain.listing import Listing, ListingStatus
from services.trading.domain.money import MAX_BALANCE_CENTS, Money
from services.trading.domain.purchase import Purchase, PurchaseStatus
from services.trading.domain.wallet import EntryReason
from services.trading.service_layer import purchases, wallets
from services.trading.service_layer.deps import MarketplacePorts
from services.trading.service_layer.ports import DuplicatePurchase
from tests.integration.conftest import migrated_and_open
from tests.unit.trading_market_fakes import FakeNft, RecordingPaymentProvider

pytestmark = pytest.mark.integration

SELLER, BUYER = uuid4(), uuid4()


def utc_now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
async def nft():
    return FakeNft()


@pytest.fixture
async def deps(database_url, nft):
    settings = TradingSettings(database_url=database_url)
    async with migrated_and_open(service_database("trading", settings)):
        market = MarketplacePorts(
            wallets=TortoiseWalletRepository(),
            listings=TortoiseListingRepository(),
            purchases=TortoisePurchaseRepository(),
            sales=TortoiseSaleRepository(),
            nft=nft,
            payments=RecordingPaymentProvider(),
        )
        yield build_deps(
            TortoiseTickRepository(),
            TortoiseOutboxStore(OutboxMessage, utc_now),
            transaction=partial(in_transaction, "trading"),
            market=market,
        )


def a_listing(nft_id: UUID, status: ListingStatus = ListingStatus.ACTIVE) -> Listing:
    now = utc_now()
    return Listing(uuid4(), nft_id, SELLER, Money(2500), status, now, now)


async def listed(deps, nft: FakeNft) -> Listing:
    listing = a_listing(nft.mint(SELLER))
    await deps.marketplace.listings.add(listing)
    nft.approvals[listing.nft_id] = listing.id
    return listing


async def test_a_hold_never_overdraws_even_when_holds_race(deps):
    await wallets.deposit_funds(deps, BUYER, "100")
    repo = deps.marketplace.wallets

    async def hold() -> bool:
        try:
            async with in_transaction("trading"):
                await repo.apply(BUYER, EntryReason.HOLD, Money(6000), utc_now())
        except InsufficientFunds:
            return False
        return True

    assert sorted(await asyncio.gather(hold(), hold())) == [False, True]
    wallet = await repo.get(BUYER)
    assert (str(wallet.available), str(wallet.held)) == ("40.00", "60.00")
    assert [e.reason for e in await repo.entries(BUYER)] == [EntryReason.DEPOSIT, EntryReason.HOLD]


async def test_each_change_answers_the_balances_and_none_leaves_their_bounds(deps):
    repo, user = deps.marketplace.wallets, uuid4()
    wallet = await repo.apply(user, EntryReason.DEPOSIT, Money(MAX_BALANCE_CENTS - 5), utc_now())
    assert (wallet.available, wallet.held) == (Money(MAX_BALANCE_CENTS - 5), Money(0))
    with pytest.raises(WalletLimitExceeded):  # past the limit, even without the use case's check
        await repo.apply(user, EntryReason.DEPOSIT, Money(6), utc_now())
    wallet = await repo.apply(user, EntryReason.HOLD, Money(MAX_BALANCE_CENTS - 5), utc_now())
    assert (wallet.available, wallet.held) == (Money(0), Money(MAX_BALANCE_CENTS - 5))
    with pytest.raises(RuntimeError, match="cannot"):  # settling more than is held: a bug
        await repo.apply(user, EntryReason.SETTLE, Money(MAX_BALANCE_CENTS), utc_now())
    assert await repo.get(user) == wallet
    assert [e.reason for e in await repo.entries(user)] == [EntryReason.DEPOSIT, EntryReason.HOLD]


async def test_concurrent_first_deposits_create_one_wallet(deps):
    user = uuid4()
    await asyncio.gather(*(wallets.deposit_funds(deps, user, "1.10") for _ in range(3)))
    assert str((await wallets.get_wallet(deps, user)).available) == "3.30"


async def test_an_nft_has_one_open_listing_at_a_time(deps):
    repo = deps.marketplace.listings
    nft_id = uuid4()
    first = a_listing(nft_id)
    await repo.add(first)
    with pytest.raises(NftAlreadyListed):
        async with in_transaction("trading"):
            await repo.add(a_listing(nft_id))
    assert await repo.change_status(
        first.id, ListingStatus.ACTIVE, ListingStatus.CANCELLED, utc_now()
    )
    await repo.add(a_listing(nft_id))  # closed listings do not count
    assert (
        len(await repo.search(status=None, nft_id=nft_id, seller_id=None, limit=10, offset=0)) == 2
    )


async def test_of_two_concurrent_reservations_one_wins(deps):
    repo = deps.marketplace.listings
    listing = a_listing(uuid4())
    await repo.add(listing)

    async def reserve() -> bool:
        async with in_transaction("trading"):
            return await repo.change_status(
                listing.id, ListingStatus.ACTIVE, ListingStatus.RESERVED, utc_now()
            )

    assert sorted(await asyncio.gather(reserve(), reserve())) == [False, True]


async def test_a_purchase_key_is_used_once_and_a_purchase_finishes_once(deps):
    repo = deps.marketplace.purchases
    now = utc_now()
    purchase = Purchase(
        uuid4(), BUYER, "k", uuid4(), uuid4(), SELLER, Money(1), PurchaseStatus.PENDING, now, now
    )
    await repo.add(purchase)
    with pytest.raises(DuplicatePurchase):
        async with in_transaction("trading"):
            await repo.add(Purchase(**{**vars(purchase), "id": uuid4()}))
    assert await repo.by_key(BUYER, "k") == purchase
    assert [p.id for p in await repo.stale_pending(now, 10)] == [purchase.id]
    assert await repo.claim(purchase, utc_now()) and not await repo.claim(purchase, utc_now())
    done = [
        await repo.finish(purchase.id, PurchaseStatus.COMPLETED, utc_now(), sale_id=uuid4()),
        await repo.finish(purchase.id, PurchaseStatus.FAILED, utc_now(), failure_reason="x"),
    ]
    assert done == [True, False]
    assert (await repo.get(purchase.id)).status is PurchaseStatus.COMPLETED


async def test_the_saga_settles_with_its_sale_and_messages(deps, nft):
    listing = await listed(deps, nft)
    await wallets.deposit_funds(deps, BUYER, "100")
    answer = await purchases.buy_listing(deps, BUYER, listing.id, "k-1")
    assert answer.purchase.status is PurchaseStatus.COMPLETED
    assert str((await wallets.get_wallet(deps, SELLER)).available) == "25.00"
    buyer = await wallets.get_wallet(deps, BUYER)
    assert (str(buyer.available), str(buyer.held)) == ("75.00", "0.00")
    [sale] = await deps.marketplace.sales.search(nft_id=listing.nft_id, limit=50, offset=0)
    assert sale.id == answer.purchase.sale_id and sale.nft_tx_hash == "1".zfill(64)
    assert (await deps.marketplace.listings.get(listing.id)).status is ListingStatus.SOLD
    topics = sorted(m.topic for m in await OutboxMessage.all())
    assert topics == [
        "analytics.ticks",
        "notification.events",
        "notification.events",
        "notification.price-ticks",
    ]


async def test_refused_in_step_one_nothing_is_stored(deps, nft):
    listing = await listed(deps, nft)
    await wallets.deposit_funds(deps, BUYER, "10")
    with pytest.raises(InsufficientFunds):
        await purchases.buy_listing(deps, BUYER, listing.id, "k-1")
    assert await PurchaseRecord.all().count() == 0
    assert (await deps.marketplace.listings.get(listing.id)).status is ListingStatus.ACTIVE


async def test_concurrent_requests_with_one_key_make_one_purchase_and_one_transfer(deps, nft):
    listing = await listed(deps, nft)
    await wallets.deposit_funds(deps, BUYER, "100")
    answers = await asyncio.gather(
        *(purchases.buy_listing(deps, BUYER, listing.id, "k-1") for _ in range(3))
    )
    # The losers' inserts hit the (buyer, key) unique index and answer the winner's purchase.
    assert len({a.purchase.id for a in answers}) == 1
    assert {a.purchase.status for a in answers} == {PurchaseStatus.COMPLETED}
    assert await PurchaseRecord.all().count() == 1 and len(nft.transfers) == 1
    buyer = await wallets.get_wallet(deps, BUYER)
    assert (str(buyer.available), str(buyer.held)) == ("75.00", "0.00")


async def test_a_refusal_compensates(deps, nft):
    listing = await listed(deps, nft)
    await wallets.deposit_funds(deps, BUYER, "100")
    nft.mode = "refuse"
    with pytest.raises(Exception, match="nft refused the transfer"):
        await purchases.buy_listing(deps, BUYER, listing.id, "k-1")
    buyer = await wallets.get_wallet(deps, BUYER)
    assert (str(buyer.available), str(buyer.held)) == ("100.00", "0.00")
    assert (await deps.marketplace.listings.get(listing.id)).status is ListingStatus.CANCELLED
    [record] = await PurchaseRecord.all()
    assert record.status == "failed" and await OutboxMessage.all().count() == 0


async def test_purchases_are_scraped_by_the_state_of_their_saga(deps):
    repo, now = deps.marketplace.purchases, utc_now()
    metrics = AppMetrics("trading")
    PurchaseStateGauge(metrics, repo.count_by_status)
    for key, status in [("a", "pending"), ("b", "pending"), ("c", "completed")]:
        purchase = Purchase(
            uuid4(),
            BUYER,
            key,
            uuid4(),
            uuid4(),
            SELLER,
            Money(1),
            PurchaseStatus(status),
            now,
            now,
        )
        await repo.add(purchase)
    await metrics.refresh()
    states = {
        sample.labels["state"]: sample.value
        for family in text_string_to_metric_families(metrics.exposition().decode())
        for sample in family.samples
        if sample.name == "capsure_purchases"
    }
    assert states == {"pending": 2, "completed": 1, "failed": 0}
