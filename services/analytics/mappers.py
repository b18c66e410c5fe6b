"""The one place where analytics' contracts (proto messages, REST JSON) meet domain objects."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from generated.grpc.capsure.analytics import v1
from generated.grpc.market import MarketDataRequest
from services.analytics.domain.errors import InvalidTick
from services.analytics.domain.model import AssetStats, MarketTick

# Every message type that carries one tick; the seed's has no source_id.
TickMessage = v1.SendMarketDataRequest | v1.StreamMarketDataRequest | MarketDataRequest


def tick_from_message(message: TickMessage) -> MarketTick:
    """The tick in a message; raises InvalidTick. proto3 sends "" for an unset source_id."""
    return MarketTick(
        asset_symbol=message.asset_symbol,
        price=message.price,
        timestamp=message.timestamp,
        source_id=getattr(message, "source_id", "") or None,
    )


async def ticks_from_stream(
    messages: AsyncIterator[v1.StreamMarketDataRequest],
) -> AsyncIterator[MarketTick | InvalidTick]:
    """Parse each message of a stream; an invalid one becomes its error instead of ending it."""
    async for message in messages:
        try:
            yield tick_from_message(message)
        except InvalidTick as error:
            yield error


def latest_price_to_contract(tick: MarketTick) -> dict[str, Any]:
    return {"assetSymbol": tick.asset_symbol, "price": tick.price, "timestamp": tick.timestamp}


def stats_to_contract(stats: AssetStats) -> dict[str, Any]:
    return {
        "assetSymbol": stats.asset_symbol,
        "count": stats.count,
        "min": stats.min,
        "max": stats.max,
        "mean": stats.mean,
        "last": stats.last,
        "lastTimestamp": stats.last_timestamp,
    }
