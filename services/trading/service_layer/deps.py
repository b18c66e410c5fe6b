"""What every trading use case is given: the ports, the clock and ids (built by bootstrap)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.trading.service_layer.ports import (
    ListingRepository,
    NftMarketplace,
    Outbox,
    PaymentProvider,
    PurchaseRepository,
    SaleRepository,
    TickRepository,
    UnitOfWork,
    WalletRepository,
)


@dataclass(frozen=True)
class MarketplacePorts:
    wallets: WalletRepository
    listings: ListingRepository
    purchases: PurchaseRepository
    sales: SaleRepository
    nft: NftMarketplace
    payments: PaymentProvider
    # A pending purchase's answer says to retry after this long (about when the resumer runs).
    retry_after_seconds: int = 5


@dataclass(frozen=True)
class TradingDeps:
    ticks: TickRepository
    outbox: Outbox
    transaction: UnitOfWork
    wake_relay: Callable[[], None]  # after a commit: deliver now rather than at the next poll
    clock: Callable[[], datetime]
    new_id: Callable[[], UUID]
    market: MarketplacePorts | None = None  # None: a tick-only app (tests of market data)

    @property
    def marketplace(self) -> MarketplacePorts:
        if self.market is None:
            raise RuntimeError("this trading app was built without the marketplace")
        return self.market
