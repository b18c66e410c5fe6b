"""What the trading use cases need from the outside world."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from services.trading.domain.listing import Listing, ListingStatus
from services.trading.domain.money import Money
from services.trading.domain.purchase import Purchase, PurchaseStatus, Sale
from services.trading.domain.ticks import MarketDataTick
from services.trading.domain.wallet import EntryReason, Wallet, WalletEntry


class TickRepository(Protocol):
    async def add(self, tick: MarketDataTick) -> None: ...

    async def add_many(self, ticks: Sequence[MarketDataTick]) -> None:
        """One bulk insert of the whole batch, in the current transaction."""
        ...

    async def list_recent(self, asset_symbol: str, *, limit: int) -> Sequence[MarketDataTick]:
        """Newest first: by timestamp, then by the time trading received it."""
        ...


class Outbox(Protocol):
    async def add(self, topic: str, payload: dict[str, Any], *, items: int = 1) -> None:
        """Queue a message for delivery, in the current transaction (`items`: how many ticks a
        bundle carries)."""
        ...


class UnitOfWork(Protocol):
    def __call__(self) -> AbstractAsyncContextManager[Any]:
        """One transaction: everything written inside commits or rolls back together."""
        ...


class WalletRepository(Protocol):
    """Balances change only with an entry written in the same transaction."""

    async def get(self, user_id: UUID) -> Wallet:
        """The wallet; a zero one for a user who never had money here."""
        ...

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
        """Change the balances atomically as `reason` says (Wallet's rules) and append the
        entry; raises InsufficientFunds / WalletLimitExceeded and changes nothing then."""
        ...

    async def entries(self, user_id: UUID) -> Sequence[WalletEntry]:
        """Oldest first: the wallet's audit trail."""
        ...


class ListingViews(Protocol):
    """The hot reads of listings, answered in the contract's JSON straight from storage:
    exactly what the mappers make of the repository's listings."""

    async def listing(self, listing_id: UUID) -> dict[str, Any] | None: ...

    async def search(
        self,
        *,
        status: ListingStatus | None,
        nft_id: UUID | None,
        seller_id: UUID | None,
        limit: int,
        offset: int,
    ) -> list[dict[str, Any]]:
        """As `ListingRepository.search`."""
        ...


class ListingRepository(Protocol):
    def views(self) -> ListingViews:
        """The read models of this same database."""
        ...

    async def add(self, listing: Listing) -> None:
        """Raises NftAlreadyListed when the NFT has an open (active or reserved) listing."""
        ...

    async def get(self, listing_id: UUID) -> Listing | None: ...

    async def open_for(self, nft_id: UUID) -> Listing | None: ...

    async def change_status(
        self, listing_id: UUID, current: ListingStatus, new: ListingStatus, at: datetime
    ) -> bool:
        """Compare-and-set: False (and nothing changed) unless the listing is `current`."""
        ...

    async def discard_if_active(self, listing_id: UUID) -> bool:
        """Remove a listing nft never approved, unless a purchase reserved it meanwhile."""
        ...

    async def search(
        self,
        *,
        status: ListingStatus | None,
        nft_id: UUID | None,
        seller_id: UUID | None,
        limit: int,
        offset: int,
    ) -> Sequence[Listing]:
        """Newest first."""
        ...


class PurchaseRepository(Protocol):
    async def add(self, purchase: Purchase) -> None:
        """Raises DuplicatePurchase when the buyer already used the purchase's key."""
        ...

    async def get(self, purchase_id: UUID) -> Purchase | None: ...

    async def by_key(self, buyer_id: UUID, key: str) -> Purchase | None: ...

    async def finish(
        self,
        purchase_id: UUID,
        status: PurchaseStatus,
        at: datetime,
        *,
        sale_id: UUID | None = None,
        failure_reason: str | None = None,
    ) -> bool:
        """Compare-and-set pending -> completed/failed: True for the one caller that did it."""
        ...

    async def claim(self, purchase: Purchase, at: datetime) -> bool:
        """Compare-and-set on `updated_at`: True when this caller may resume it now (no other
        resumer touched it since `purchase` was read)."""
        ...

    async def stale_pending(self, untouched_since: datetime, limit: int) -> Sequence[Purchase]:
        """Pending purchases not updated since then, oldest first."""
        ...


class SaleViews(Protocol):
    """Sales in the contract's JSON straight from storage, as the mappers make them."""

    async def search(self, *, nft_id: UUID | None, limit: int, offset: int) -> list[dict[str, Any]]:
        """As `SaleRepository.search`."""
        ...


class SaleRepository(Protocol):
    def views(self) -> SaleViews:
        """The read models of this same database."""
        ...

    async def add(self, sale: Sale) -> None: ...

    async def search(self, *, nft_id: UUID | None, limit: int, offset: int) -> Sequence[Sale]:
        """Newest first."""
        ...


class DuplicatePurchase(Exception):
    """A concurrent request inserted the buyer's purchase with the same key first."""


@dataclass(frozen=True)
class TransferRequest:
    listing_id: UUID
    nft_id: UUID
    seller_id: UUID
    buyer_id: UUID


@dataclass(frozen=True)
class Transferred:
    tx_hash: str | None  # the chain transaction that moved the NFT


@dataclass(frozen=True)
class TransferRefused:
    """A definitive no: the NFT did not move and will not on a retry."""

    status: int
    reason: str


@dataclass(frozen=True)
class TransferUnknown:
    """No answer to rely on (timeout, connection lost, 5xx): it may or may not have moved."""

    reason: str


TransferOutcome = Transferred | TransferRefused | TransferUnknown


class NftMarketplace(Protocol):
    """The nft service's side of the marketplace."""

    async def approve_sale(self, nft_id: UUID, listing_id: UUID, *, bearer: str | None) -> None:
        """With the seller's token. Raises NftForbidden / NftNotFound / NftConflict for nft's
        refusals and NftServiceUnavailable when it cannot be asked."""
        ...

    async def withdraw_approval(
        self, nft_id: UUID, listing_id: UUID, *, bearer: str | None
    ) -> None:
        """With the seller's token; raises as approve_sale."""
        ...

    async def transfer_sold(self, request: TransferRequest, *, key: str) -> TransferOutcome:
        """Never raises for an answer or its absence: every outcome is a value."""
        ...


@dataclass(frozen=True)
class PaymentReceipt:
    reference: str  # the provider's reference, kept on the wallet entry


class PaymentProvider(Protocol):
    async def collect(self, user_id: UUID, amount: Money, *, key: str | None) -> PaymentReceipt:
        """Take the money from the user's payment method; raises PaymentDeclined."""
        ...
