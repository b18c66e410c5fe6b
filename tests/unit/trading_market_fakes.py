"""In-memory stand-ins for the marketplace's ports: repositories over one shared state with a
transaction that rolls back (so a refused saga step leaves nothing behind, as on a database),
and an nft service that dedupes transfers by Idempotency-Key as the real one does."""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from services.common.outbox import InMemoryOutboxStore
from services.trading.bootstrap import build_deps
from services.trading.domain.errors import NftAlreadyListed, NftForbidden, NftServiceUnavailable
from services.trading.domain.listing import Listing, ListingStatus, check_transition
from services.trading.domain.money import Money
from services.trading.domain.purchase import Purchase, PurchaseStatus, Sale
from services.trading.domain.wallet import EntryReason, Wallet, WalletEntry, entry_deltas
from services.trading.mappers import listing_to_contract, sale_to_contract
from services.trading.service_layer.deps import MarketplacePorts, TradingDeps
from services.trading.service_layer.ports import (
    DuplicatePurchase,
    ListingRepository,
    PaymentReceipt,
    SaleRepository,
    TransferOutcome,
    Transferred,
    TransferRefused,
    TransferRequest,
    TransferUnknown,
)
from tests.unit.trading_fakes import InMemoryTickRepository


@dataclass
class MarketState:
    wallets: dict[UUID, Wallet] = field(default_factory=dict)
    entries: list[WalletEntry] = field(default_factory=list)
    listings: dict[UUID, Listing] = field(default_factory=dict)
    purchases: dict[UUID, Purchase] = field(default_factory=dict)
    sales: dict[UUID, Sale] = field(default_factory=dict)


class RollbackTransaction:
    """Snapshots everything on entry and restores it when the block raises."""

    def __init__(
        self, state: MarketState, ticks: InMemoryTickRepository, outbox: InMemoryOutboxStore
    ) -> None:
        self._parts: list[Any] = [state, ticks, outbox]
        self.commits = 0

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[None]:
        saved = [{k: copy.copy(v) for k, v in vars(part).items()} for part in self._parts]
        try:
            yield
        except BaseException:
            for part, attributes in zip(self._parts, saved, strict=True):
                vars(part).update(attributes)
            raise
        self.commits += 1


class InMemoryWallets:
    def __init__(self, state: MarketState) -> None:
        self._state = state

    async def get(self, user_id: UUID) -> Wallet:
        return self._state.wallets.get(user_id, Wallet(user_id))

    async def apply(
        self,
        user_id: UUID,
        reason: EntryReason,
        amount: Money,
        at: datetime,
        *,
        purchase_id: UUID | None = None,
        reference: str | None = None,
    ) -> Wallet:
        wallet = getattr(await self.get(user_id), str(reason))(amount)  # the domain's rule
        self._state.wallets[user_id] = wallet
        available, held = entry_deltas(reason, amount)
        self._state.entries.append(
            WalletEntry(uuid.uuid4(), user_id, reason, available, held, at, purchase_id, reference)
        )
        return wallet

    async def entries(self, user_id: UUID) -> Sequence[WalletEntry]:
        return [e for e in self._state.entries if e.user_id == user_id]


class MappedListingViews:
    """The read models as the domain path answers them: the repository's listings through the
    mappers. On the fakes they are the views; on a real database, what SqlListingViews must
    equal."""

    def __init__(self, repository: ListingRepository) -> None:
        self._repository = repository

    async def listing(self, listing_id: UUID) -> dict[str, Any] | None:
        listing = await self._repository.get(listing_id)
        return None if listing is None else listing_to_contract(listing)

    async def search(
        self,
        *,
        status: ListingStatus | None,
        nft_id: UUID | None,
        seller_id: UUID | None,
        limit: int,
        offset: int,
    ) -> list[dict[str, Any]]:
        found = await self._repository.search(
            status=status, nft_id=nft_id, seller_id=seller_id, limit=limit, offset=offset
        )
        return [listing_to_contract(listing) for listing in found]


class MappedSaleViews:
    """Sales as the domain path answers them (see MappedListingViews)."""

    def __init__(self, repository: SaleRepository) -> None:
        self._repository = repository

    async def search(self, *, nft_id: UUID | None, limit: int, offset: int) -> list[dict[str, Any]]:
        found = await self._repository.search(nft_id=nft_id, limit=limit, offset=offset)
        return [sale_to_contract(sale) for sale in found]


class InMemoryListings:
    def __init__(self, state: MarketState) -> None:
        self._state = state

    def views(self) -> MappedListingViews:
        return MappedListingViews(self)

    async def add(self, listing: Listing) -> None:
        if await self.open_for(listing.nft_id) is not None:
            raise NftAlreadyListed(listing.nft_id)
        self._state.listings[listing.id] = listing

    async def get(self, listing_id: UUID) -> Listing | None:
        return self._state.listings.get(listing_id)

    async def open_for(self, nft_id: UUID) -> Listing | None:
        return next(
            (x for x in self._state.listings.values() if x.nft_id == nft_id and x.is_open), None
        )

    async def change_status(
        self, listing_id: UUID, current: ListingStatus, new: ListingStatus, at: datetime
    ) -> bool:
        check_transition(current, new)
        listing = self._state.listings.get(listing_id)
        if listing is None or listing.status is not current:
            return False
        self._state.listings[listing_id] = replace(listing, status=new, updated_at=at)
        return True

    async def discard_if_active(self, listing_id: UUID) -> bool:
        listing = self._state.listings.get(listing_id)
        if listing is None or listing.status is not ListingStatus.ACTIVE:
            return False
        del self._state.listings[listing_id]
        return True

    async def search(
        self,
        *,
        status: ListingStatus | None,
        nft_id: UUID | None,
        seller_id: UUID | None,
        limit: int,
        offset: int,
    ) -> Sequence[Listing]:
        found = [
            x
            for x in self._state.listings.values()
            if status in (None, x.status)
            and nft_id in (None, x.nft_id)
            and seller_id in (None, x.seller_id)
        ]
        found.sort(key=lambda x: (x.created_at, str(x.id)), reverse=True)
        return found[offset : offset + limit]


class InMemoryPurchases:
    def __init__(self, state: MarketState) -> None:
        self._state = state

    async def add(self, purchase: Purchase) -> None:
        if await self.by_key(purchase.buyer_id, purchase.idempotency_key) is not None:
            raise DuplicatePurchase()
        self._state.purchases[purchase.id] = purchase

    async def get(self, purchase_id: UUID) -> Purchase | None:
        return self._state.purchases.get(purchase_id)

    async def by_key(self, buyer_id: UUID, key: str) -> Purchase | None:
        return next(
            (
                p
                for p in self._state.purchases.values()
                if (p.buyer_id, p.idempotency_key) == (buyer_id, key)
            ),
            None,
        )

    async def finish(
        self,
        purchase_id: UUID,
        status: PurchaseStatus,
        at: datetime,
        *,
        sale_id: UUID | None = None,
        failure_reason: str | None = None,
    ) -> bool:
        purchase = self._state.purchases[purchase_id]
        if purchase.status is not PurchaseStatus.PENDING:
            return False
        self._state.purchases[purchase_id] = replace(
            purchase, status=status, updated_at=at, sale_id=sale_id, failure_reason=failure_reason
        )
        return True

    async def claim(self, purchase: Purchase, at: datetime) -> bool:
        current = self._state.purchases[purchase.id]
        if (
            current.status is not PurchaseStatus.PENDING
            or current.updated_at != purchase.updated_at
        ):
            return False
        self._state.purchases[purchase.id] = replace(current, updated_at=at)
        return True

    async def stale_pending(self, untouched_since: datetime, limit: int) -> Sequence[Purchase]:
        found = [
            p
            for p in self._state.purchases.values()
            if p.status is PurchaseStatus.PENDING and p.updated_at <= untouched_since
        ]
        return sorted(found, key=lambda p: p.updated_at)[:limit]


class InMemorySales:
    def __init__(self, state: MarketState) -> None:
        self._state = state

    def views(self) -> MappedSaleViews:
        return MappedSaleViews(self)

    async def add(self, sale: Sale) -> None:
        self._state.sales[sale.id] = sale

    async def search(self, *, nft_id: UUID | None, limit: int, offset: int) -> Sequence[Sale]:
        found = [s for s in self._state.sales.values() if nft_id in (None, s.nft_id)]
        found.sort(key=lambda s: (s.completed_at, str(s.id)), reverse=True)
        return found[offset : offset + limit]


class FakeNft:
    """The nft service's marketplace side: owners, approvals, and transfers deduped by key.

    `mode` decides the next transfer calls: "ok"; "refuse" (409, nothing moves); "down" (no
    answer, nothing moves); "lost" (it moves, but the answer is lost on the way back)."""

    def __init__(self) -> None:
        self.owners: dict[UUID, UUID] = {}
        self.approvals: dict[UUID, UUID] = {}  # nft -> listing
        self.bearers: list[str | None] = []
        self.mode = "ok"
        # Who a bearer token is: the token is the user id itself unless a test says otherwise.
        self.who: Callable[[str], UUID] = UUID
        self.unavailable = False
        self.answers: dict[str, Transferred] = {}  # Idempotency-Key -> the stored answer
        self.transfers: list[TransferRequest] = []  # those that moved an NFT
        self.calls = 0

    def mint(self, owner: UUID) -> UUID:
        nft_id = uuid.uuid4()
        self.owners[nft_id] = owner
        return nft_id

    async def approve_sale(self, nft_id: UUID, listing_id: UUID, *, bearer: str | None) -> None:
        self._check(nft_id, bearer)
        self.approvals[nft_id] = listing_id

    async def withdraw_approval(
        self, nft_id: UUID, listing_id: UUID, *, bearer: str | None
    ) -> None:
        self._check(nft_id, bearer)
        if self.approvals.get(nft_id) == listing_id:
            del self.approvals[nft_id]

    def _check(self, nft_id: UUID, bearer: str | None) -> None:
        self.bearers.append(bearer)
        if self.unavailable:
            raise NftServiceUnavailable("connection refused")
        if bearer is None or self.owners.get(nft_id) != self.who(bearer):
            raise NftForbidden(f"only the owner of NFT {nft_id} may do this")

    async def transfer_sold(self, request: TransferRequest, *, key: str) -> TransferOutcome:
        self.calls += 1
        if key in self.answers:  # as nft's Idempotency-Key: the stored answer, nothing moves
            return self.answers[key]
        if self.mode == "down":
            return TransferUnknown("nft unreachable: ConnectError")
        approved = self.approvals.get(request.nft_id) == request.listing_id
        if self.mode == "refuse" or not approved:
            return TransferRefused(409, f"NFT {request.nft_id} is not approved for this sale")
        self.owners[request.nft_id] = request.buyer_id
        del self.approvals[request.nft_id]
        self.transfers.append(request)
        self.answers[key] = Transferred(f"{len(self.transfers):064x}")
        if self.mode == "lost":
            return TransferUnknown("nft did not answer in time")
        return self.answers[key]


class RecordingPaymentProvider:
    def __init__(self) -> None:
        self.collected: list[tuple[UUID, Money, str | None]] = []

    async def collect(self, user_id: UUID, amount: Money, *, key: str | None) -> PaymentReceipt:
        self.collected.append((user_id, amount, key))
        return PaymentReceipt(reference=f"test-{len(self.collected)}")


@dataclass
class Market:
    """The trading use cases' dependencies on these fakes, and the fakes to look into."""

    deps: TradingDeps
    state: MarketState
    nft: FakeNft
    payments: RecordingPaymentProvider
    ticks: InMemoryTickRepository
    outbox: InMemoryOutboxStore
    transaction: RollbackTransaction
    wakeups: list[str]


def build_market(clock: Callable[[], datetime]) -> Market:
    state, nft, payments = MarketState(), FakeNft(), RecordingPaymentProvider()
    ticks, outbox = InMemoryTickRepository(), InMemoryOutboxStore(clock)
    transaction = RollbackTransaction(state, ticks, outbox)
    wakeups: list[str] = []
    ports = MarketplacePorts(
        wallets=InMemoryWallets(state),
        listings=InMemoryListings(state),
        purchases=InMemoryPurchases(state),
        sales=InMemorySales(state),
        nft=nft,
        payments=payments,
        retry_after_seconds=5,
    )
    deps = build_deps(
        ticks,
        outbox,
        transaction,
        wake_relay=lambda: wakeups.append("wake"),
        clock=clock,
        market=ports,
    )
    return Market(deps, state, nft, payments, ticks, outbox, transaction, wakeups)
