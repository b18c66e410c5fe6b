"""One function per use case of the trading service."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.common import market_data
from services.trading.domain.model import MarketDataTick
from services.trading.mappers import tick_to_message
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

# One outbox message per consumer of a tick: each is delivered (and retried) on its own.
ANALYTICS_TOPIC = "analytics.ticks"
NOTIFICATION_TOPIC = "notification.price-ticks"
TICK_TOPICS = (ANALYTICS_TOPIC, NOTIFICATION_TOPIC)
# Users' notifications (sale.completed), to notification's /internal/notification-events.
NOTIFICATION_EVENTS_TOPIC = "notification.events"


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


async def submit_market_data(
    deps: TradingDeps, *, asset_symbol: str, price: float, timestamp: int, quantity: float = 0.0
) -> MarketDataTick:
    """Keep the tick and queue it for every consumer, in one transaction: either the tick is
    stored and will reach them (at least once), or nothing was kept. A tick stamped too far in
    the future is refused (TickFromTheFuture): its consumers would take it as the newest."""
    tick = MarketDataTick(
        id=deps.new_id(),
        asset_symbol=asset_symbol,
        price=price,
        timestamp=timestamp,
        received_at=deps.clock(),
        quantity=quantity,
    )
    market_data.refuse_ticks_from_the_future(tick.timestamp, now=tick.received_at)
    # Nested in the Idempotency-Key transaction when a key is sent: then it commits with the
    # stored response, and the relay's next poll (not this wake-up) finds the messages.
    async with deps.transaction():
        await deps.ticks.add(tick)
        for topic in TICK_TOPICS:
            await deps.outbox.add(topic, tick_to_message(tick))
    deps.wake_relay()
    return tick


async def list_market_data(
    deps: TradingDeps, asset_symbol: str, *, limit: int
) -> Sequence[MarketDataTick]:
    return await deps.ticks.list_recent(asset_symbol, limit=limit)
