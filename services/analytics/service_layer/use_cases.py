"""One function per use case of the analytics service."""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.analytics.domain import candles
from services.analytics.domain.candles import Candle, CandleInterval
from services.analytics.domain.errors import BatchRefused, InvalidTick, NoMarketData
from services.analytics.domain.model import (
    AssetStats,
    BatchOutcome,
    IngestSummary,
    MarketTick,
    ReceivedTick,
)
from services.analytics.domain.volume import DailyVolume, Window
from services.analytics.service_layer.ports import TickRepository
from services.common import market_data
from services.common.market_data import TickFromTheFuture

# Told how many ticks were stored, were duplicates (kept once already) and were refused.
IngestCounter = Callable[[int, int, int], None]


def _not_counted(stored: int, duplicates: int, refused: int) -> None:
    pass


@dataclass(frozen=True)
class AnalyticsDeps:
    ticks: TickRepository
    clock: Callable[[], datetime]
    new_id: Callable[[], UUID]
    # Ticks of a stream are written in batches: one transaction per batch, not per tick.
    stream_batch_size: int = 200
    on_ingested: IngestCounter = _not_counted  # the app's metrics (ticks ingested)


def _received(deps: AnalyticsDeps, tick: MarketTick) -> ReceivedTick:
    """The tick as received now; raises TickFromTheFuture when it is stamped too far ahead."""
    now = deps.clock()
    market_data.refuse_ticks_from_the_future(tick.timestamp, now=now)
    return ReceivedTick(id=deps.new_id(), tick=tick, received_at=now)


async def record_tick(deps: AnalyticsDeps, tick: MarketTick) -> bool:
    """Keep one tick; False when its source_id was seen before (acknowledged, kept once).
    Raises TickFromTheFuture for a tick from the future."""
    try:
        received = _received(deps, tick)
    except TickFromTheFuture:
        deps.on_ingested(0, 0, 1)
        raise
    kept = await deps.ticks.add(received)
    deps.on_ingested(int(kept), int(not kept), 0)
    return kept


async def record_tick_stream(
    deps: AnalyticsDeps, ticks: AsyncIterable[MarketTick | InvalidTick]
) -> IngestSummary:
    """Keep the valid ticks of a stream; the invalid ones (from the future too) are counted and
    skipped.

    The caller parses each message, so one bad tick does not end the stream."""
    accepted = rejected = 0
    batch: list[ReceivedTick] = []
    async for item in ticks:
        if isinstance(item, InvalidTick):
            rejected += 1
            deps.on_ingested(0, 0, 1)
            continue
        try:
            batch.append(_received(deps, item))
        except TickFromTheFuture:
            rejected += 1
            deps.on_ingested(0, 0, 1)
            continue
        accepted += 1
        if len(batch) >= deps.stream_batch_size:
            await _store(deps, batch)
            batch = []
    if batch:
        await _store(deps, batch)
    return IngestSummary(accepted=accepted, rejected=rejected)


async def _store(deps: AnalyticsDeps, batch: Sequence[ReceivedTick]) -> int:
    stored = await deps.ticks.add_many(batch)
    deps.on_ingested(stored, len(batch) - stored, 0)
    return stored


def receive_tick_batch(
    deps: AnalyticsDeps, ticks: Sequence[MarketTick | InvalidTick]
) -> list[ReceivedTick]:
    """A batch of ticks as received now, all or nothing: one invalid tick (or one from the
    future) refuses the batch (BatchRefused, naming it)."""
    now = deps.clock()
    for index, tick in enumerate(ticks):
        problems = (
            tick.problems
            if isinstance(tick, InvalidTick)
            else tuple(market_data.future_problems(tick.timestamp, now=now))
        )
        if problems:
            deps.on_ingested(0, 0, len(ticks))  # refused whole
            raise BatchRefused(index, problems)
    return [ReceivedTick(id=deps.new_id(), tick=t, received_at=now) for t in ticks]


async def store_tick_batch(deps: AnalyticsDeps, received: Sequence[ReceivedTick]) -> BatchOutcome:
    """Keep a received batch in one write. A tick whose source_id is stored already, or
    repeated in the batch, is kept once (a duplicate)."""
    stored = await _store(deps, received) if received else 0
    return BatchOutcome(stored=stored, duplicates=len(received) - stored)


async def record_tick_batch(
    deps: AnalyticsDeps, ticks: Sequence[MarketTick | InvalidTick]
) -> BatchOutcome:
    """Keep a batch of ticks all-or-nothing (receive_tick_batch, then store_tick_batch)."""
    return await store_tick_batch(deps, receive_tick_batch(deps, ticks))


async def get_latest_price(deps: AnalyticsDeps, asset_symbol: str) -> MarketTick:
    tick = await deps.ticks.latest(asset_symbol)
    if tick is None:
        raise NoMarketData(asset_symbol)
    return tick


async def get_asset_stats(deps: AnalyticsDeps, asset_symbol: str) -> AssetStats:
    stats = await deps.ticks.stats(asset_symbol)
    if stats is None:
        raise NoMarketData(asset_symbol)
    return stats


async def list_asset_stats(deps: AnalyticsDeps, *, limit: int, offset: int) -> Sequence[AssetStats]:
    return await deps.ticks.list_stats(limit=limit, offset=offset)


async def get_candles(
    deps: AnalyticsDeps,
    asset_symbol: str,
    interval: CandleInterval,
    *,
    limit: int,
    start_before: int | None = None,
) -> Sequence[Candle]:
    """The asset's newest candles, newest first; only those starting before `start_before`
    (Unix ms) when given, so the oldest start of one page asks for the next."""
    bound = None if start_before is None else candles.ticks_before(start_before, interval)
    found = await deps.ticks.candles(asset_symbol, interval, ticks_before=bound, limit=limit)
    # An empty page of a known asset is an answer; an asset never seen is not found.
    if not found and await deps.ticks.latest(asset_symbol) is None:
        raise NoMarketData(asset_symbol)
    return found


async def get_daily_volume(deps: AnalyticsDeps, asset_symbol: str) -> DailyVolume:
    """Volume, trades and VWAP over the 24 h before the asset's newest tick."""
    newest = await deps.ticks.latest(asset_symbol)
    if newest is None:
        raise NoMarketData(asset_symbol)
    window = Window.day_ending_at(newest.timestamp)
    return DailyVolume(asset_symbol, window, await deps.ticks.totals(asset_symbol, window))
