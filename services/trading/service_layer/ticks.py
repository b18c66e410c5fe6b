"""The market data use cases of the trading service: take a tick, list the recent ones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from services.common import market_data
from services.trading.domain.ticks import MarketDataTick
from services.trading.mappers import tick_to_message, ticks_to_bundle
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


class TickInput(NamedTuple):
    """One tick of a batch as a feed sends it (a tuple: made for every tick of a feed)."""

    asset_symbol: str
    price: float
    timestamp: int
    quantity: float = 0.0


async def submit_market_data_batch(deps: TradingDeps, inputs: Sequence[TickInput]) -> int:
    """Keep a batch of ticks and queue them for every consumer, all in one transaction: one
    bulk insert of the ticks and one bundle (a message carrying them all) per consumer; all
    stored or none. One tick from the future refuses the batch
    (TickFromTheFuture, naming it), before anything is written. Returns how many were kept."""
    received_at = deps.clock()
    batch = [
        MarketDataTick(
            id=deps.new_id(),
            asset_symbol=i.asset_symbol,
            price=i.price,
            timestamp=i.timestamp,
            received_at=received_at,
            quantity=i.quantity,
        )
        for i in inputs
    ]
    problems = [
        f"ticks[{n}]: {problem}"
        for n, tick in enumerate(batch)
        for problem in market_data.future_problems(tick.timestamp, now=received_at)
    ]
    if problems:
        raise market_data.TickFromTheFuture(tuple(problems[:10]))  # a bounded answer
    bundle = ticks_to_bundle(batch)
    async with deps.transaction():
        await deps.ticks.add_many(batch)
        for topic in TICK_TOPICS:
            await deps.outbox.add(topic, bundle, items=len(batch))
    deps.wake_relay()
    return len(batch)


async def list_market_data(
    deps: TradingDeps, asset_symbol: str, *, limit: int
) -> Sequence[MarketDataTick]:
    return await deps.ticks.list_recent(asset_symbol, limit=limit)
