"""TickRepository on Tortoise ORM. Statistics are computed by the database, not in Python."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.functions import Avg, Count, Max, Min
from tortoise.queryset import QuerySet

from services.analytics.adapters import market_sql
from services.analytics.adapters.orm import MarketTickRecord
from services.analytics.adapters.tick_inserts import insert_ticks
from services.analytics.domain.candles import Candle, CandleInterval
from services.analytics.domain.model import AssetStats, MarketTick, ReceivedTick
from services.analytics.domain.volume import TradeTotals, Window

AGGREGATES = {
    "n": Count("id"),
    "min_price": Min("price"),
    "max_price": Max("price"),
    "mean_price": Avg("price"),
    "last_ts": Max("timestamp"),
}
AGGREGATE_COLUMNS = ("asset_symbol", *AGGREGATES)


def _aggregates(ticks: QuerySet[MarketTickRecord]) -> Any:
    """One row per asset: SELECT asset_symbol, COUNT, MIN, MAX, AVG, MAX(timestamp) GROUP BY."""
    return ticks.annotate(**AGGREGATES).group_by("asset_symbol").values(*AGGREGATE_COLUMNS)


def _latest_of(asset_symbol: str) -> QuerySet[MarketTickRecord]:
    """The asset's ticks, latest first (ReceivedTick.recency; id only makes the order total)."""
    return MarketTickRecord.filter(asset_symbol=asset_symbol).order_by(
        "-timestamp", "-received_at", "-id"
    )


def _record(received: ReceivedTick) -> MarketTickRecord:
    tick = received.tick
    return MarketTickRecord(
        id=received.id,
        asset_symbol=tick.asset_symbol,
        price=tick.price,
        timestamp=tick.timestamp,
        source_id=tick.source_id,
        received_at=received.received_at,
        quantity=tick.quantity,
        notional=tick.notional,
    )


def _tick(record: MarketTickRecord) -> MarketTick:
    return MarketTick(
        asset_symbol=record.asset_symbol,
        price=record.price,
        timestamp=record.timestamp,
        source_id=record.source_id,
        quantity=record.quantity,
    )


def _stats(row: dict[str, Any], last: MarketTickRecord) -> AssetStats:
    return AssetStats(
        asset_symbol=row["asset_symbol"],
        count=row["n"],
        min=float(row["min_price"]),
        max=float(row["max_price"]),
        mean=float(row["mean_price"]),
        last=last.price,
        last_timestamp=last.timestamp,
    )


class TortoiseTickRepository:
    async def add(self, tick: ReceivedTick) -> bool:
        try:
            await _record(tick).save(force_create=True)
        except IntegrityError:
            # A concurrent or earlier copy won the unique source_id; anything else is a bug.
            source_id = tick.tick.source_id
            if source_id and await MarketTickRecord.exists(source_id=source_id):
                return False
            raise
        return True

    async def add_many(self, ticks: Sequence[ReceivedTick]) -> int:
        return await insert_ticks(ticks)

    async def latest(self, asset_symbol: str) -> MarketTick | None:
        record = await _latest_of(asset_symbol).first()
        return _tick(record) if record else None

    async def stats(self, asset_symbol: str) -> AssetStats | None:
        rows = await _aggregates(MarketTickRecord.filter(asset_symbol=asset_symbol))
        if not rows:
            return None
        last = await _latest_of(asset_symbol).filter(timestamp=rows[0]["last_ts"]).first()
        return _stats(rows[0], last) if last else None

    async def list_stats(self, *, limit: int, offset: int) -> Sequence[AssetStats]:
        page = MarketTickRecord.all().order_by("asset_symbol").offset(offset).limit(limit)
        rows = await _aggregates(page)
        if not rows:
            return []
        # One query for the latest tick of every asset on the page: its (symbol, newest
        # timestamp) pairs; ties on the timestamp go to the tick received last.
        pairs = [Q(asset_symbol=r["asset_symbol"], timestamp=r["last_ts"]) for r in rows]
        candidates = await MarketTickRecord.filter(Q(*pairs, join_type="OR")).order_by(
            "asset_symbol", "received_at", "id"
        )
        last = {record.asset_symbol: record for record in candidates}  # the last one wins
        return [_stats(row, last[row["asset_symbol"]]) for row in rows]

    async def candles(
        self,
        asset_symbol: str,
        interval: CandleInterval,
        *,
        ticks_before: int | None,
        limit: int,
    ) -> Sequence[Candle]:
        ticks = MarketTickRecord.filter(asset_symbol=asset_symbol)
        if ticks_before is not None:
            ticks = ticks.filter(timestamp__lt=ticks_before)
        return await market_sql.newest_candles(ticks, interval, limit)

    async def totals(self, asset_symbol: str, window: Window) -> TradeTotals:
        return await market_sql.totals(
            MarketTickRecord.filter(
                asset_symbol=asset_symbol, timestamp__gt=window.start, timestamp__lte=window.end
            )
        )
