"""The market data use cases of the trading service: take a tick, list the recent ones."""

from __future__ import annotations

from collections.abc import Sequence

from services.common import market_data
from services.trading.domain.ticks import MarketDataTick
from services.trading.mappers import tick_to_message
from services.trading.service_layer.deps import TradingDeps
from services.trading.service_layer.topics import TICK_TOPICS


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
