"""The one place where analytics' contracts (proto messages, REST JSON) meet domain objects."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from generated.grpc.capsure.analytics import v1
from generated.grpc.market import MarketDataRequest
from services.analytics.domain.candles import Candle, CandleInterval
from services.analytics.domain.errors import InvalidQuery, InvalidTick
from services.analytics.domain.model import AssetStats, MarketTick
from services.analytics.domain.volume import DailyVolume
from services.common.quoting import quoted
from services.common.tick_batch_wire import WireTick
from services.common.timestamps import rfc3339

UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MILLISECOND = timedelta(milliseconds=1)

# Every message type that carries one tick; the seed's has no source_id.
TickMessage = v1.SendMarketDataRequest | v1.StreamMarketDataRequest | MarketDataRequest


def tick_from_message(message: TickMessage) -> MarketTick:
    """The tick in a message; raises InvalidTick. proto3 sends "" for an unset source_id and
    0 for an unset quantity (a quote); the seed's message has neither."""
    return MarketTick(
        asset_symbol=message.asset_symbol,
        price=message.price,
        timestamp=message.timestamp,
        source_id=getattr(message, "source_id", "") or None,
        quantity=getattr(message, "quantity", 0.0),
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


def ticks_from_wire(batch: Sequence[WireTick]) -> list[MarketTick | InvalidTick]:
    """The ticks of a decoded batch; an invalid one becomes its error (the use case names it)."""
    ticks: list[MarketTick | InvalidTick] = []
    for asset_symbol, price, timestamp, source_id, quantity in batch:
        try:
            ticks.append(MarketTick(asset_symbol, price, timestamp, source_id or None, quantity))
        except InvalidTick as error:
            ticks.append(error)
    return ticks


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


def interval_from_contract(name: str) -> CandleInterval:
    return CandleInterval(name)


def millis_from_rfc3339(moment: str) -> int:
    """Unix milliseconds of an RFC 3339 date-time (the contract has checked its form).
    Computed without converting to UTC, which overflows at the ends of datetime's range
    (0001-01-01T00:00:00+01:00 is a valid RFC 3339 moment)."""
    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError as error:
        raise InvalidQuery(f"{quoted(moment)} is not an RFC 3339 date-time") from error
    offset = parsed.utcoffset()
    if offset is None:
        raise InvalidQuery(f"{quoted(moment)} has no UTC offset")
    since_epoch = parsed.replace(tzinfo=None) - UNIX_EPOCH.replace(tzinfo=None) - offset
    return since_epoch // ONE_MILLISECOND


def rfc3339_from_millis(millis: int) -> str:
    return rfc3339(UNIX_EPOCH + millis * ONE_MILLISECOND)


def candle_to_contract(candle: Candle) -> dict[str, Any]:
    return {
        "start": rfc3339_from_millis(candle.start),
        "open": candle.open,
        "high": candle.high,
        "low": candle.low,
        "close": candle.close,
        "volume": candle.volume,
        "trades": candle.trades,
        "ticks": candle.ticks,
    }


def daily_volume_to_contract(daily: DailyVolume) -> dict[str, Any]:
    return {
        "assetSymbol": daily.asset_symbol,
        "windowStart": rfc3339_from_millis(daily.window.start),
        "windowEnd": rfc3339_from_millis(daily.window.end),
        "ticks24h": daily.totals.ticks,
        "trades24h": daily.totals.trades,
        "volume24h": daily.totals.volume,
        "vwap24h": daily.totals.vwap,
    }
