"""One function per use case of the trading service."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.trading.domain.model import MarketDataTick
from services.trading.service_layer.ports import MarketDataSink, TickRepository

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TradingDeps:
    ticks: TickRepository
    analytics: MarketDataSink
    clock: Callable[[], datetime]
    new_id: Callable[[], UUID]


async def submit_market_data(
    deps: TradingDeps, *, asset_symbol: str, price: float, timestamp: int, quantity: float = 0.0
) -> MarketDataTick:
    """Keep the tick and deliver it to analytics; when delivery fails, forget it again, so
    trading never keeps a tick that analytics did not get."""
    tick = MarketDataTick(
        id=deps.new_id(),
        asset_symbol=asset_symbol,
        price=price,
        timestamp=timestamp,
        received_at=deps.clock(),
        quantity=quantity,
    )
    await deps.ticks.add(tick)
    try:
        await deps.analytics.send(tick)
    except BaseException:  # cancellation too: the caller never learns the tick was kept
        await _compensate(deps, tick)
        raise
    return tick


async def _compensate(deps: TradingDeps, tick: MarketDataTick) -> None:
    try:
        await deps.ticks.remove(tick.id)
    except Exception:
        # The delivery error is what the client must see; this one needs an operator.
        log.exception("tick %s was not delivered to analytics and could not be removed", tick.id)


async def list_market_data(
    deps: TradingDeps, asset_symbol: str, *, limit: int
) -> Sequence[MarketDataTick]:
    return await deps.ticks.list_recent(asset_symbol, limit=limit)
