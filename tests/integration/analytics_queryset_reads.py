"""The seed's analytics reads through Tortoise QuerySets and models, kept as they were before
issue 13 replaced them with one statement each (services/analytics/adapters/tick_queries.py):
the reference its answers are compared with (test_analytics_reads.py)."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q, RawSQL
from tortoise.functions import Avg, Count, Max, Min, Sum
from tortoise.queryset import QuerySet

from services.analytics.adapters.orm import MarketTickRecord
from services.analytics.domain.candles import Candle, CandleInterval, bucket_start
from services.analytics.domain.model import AssetStats, MarketTick
from services.analytics.domain.volume import TradeTotals, Window


def _bucket_start(interval: CandleInterval) -> RawSQL:
    """candles.bucket_start in SQL. BIGINT / integer is integer division on both databases
    (ticks are >= 0, so it floors). Not `%`: Tortoise writes MOD(), which SQLite may lack
    and answers as REAL. The literal is one of the interval's constants, never client text."""
    millis = int(interval.millis)
    return RawSQL(f'"timestamp" / {millis} * {millis}')


def _sums() -> dict[str, Any]:
    return {
        "ticks": Count("id"),
        "trades": Count("id", _filter=Q(quantity__gt=0)),
        "volume": Sum("quantity"),
    }


CANDLE_COLUMNS = ("bucket", "low", "high", "first_ts", "last_ts", "ticks", "trades", "volume")


async def newest_candles(
    ticks: QuerySet[MarketTickRecord], interval: CandleInterval, limit: int
) -> list[Candle]:
    """The newest `limit` candles of `ticks` (one asset's), newest first."""
    newest = await ticks.order_by("-timestamp").limit(1).values_list("timestamp", flat=True)
    if not newest:
        return []
    # A busy feed ticks in every interval, so its newest `limit` candles lie in the last
    # `limit` intervals: aggregate that index range first, and the older ticks only when it
    # holds fewer candles (gaps). The split is on a candle boundary: no candle is cut.
    split = bucket_start(newest[0], interval) - (limit - 1) * interval.millis
    rows = await _candle_rows(ticks.filter(timestamp__gte=split), interval, limit)
    if len(rows) < limit:
        older = ticks.filter(timestamp__lt=split)
        rows += await _candle_rows(older, interval, limit - len(rows))
    opening, closing = await _edge_prices(
        ticks, {row["first_ts"] for row in rows} | {row["last_ts"] for row in rows}
    )
    return [
        Candle(
            start=int(row["bucket"]),
            open=opening[row["first_ts"]],
            high=float(row["high"]),
            low=float(row["low"]),
            close=closing[row["last_ts"]],
            volume=float(row["volume"]),
            trades=row["trades"],
            ticks=row["ticks"],
        )
        for row in rows
    ]


async def _candle_rows(
    ticks: QuerySet[MarketTickRecord], interval: CandleInterval, limit: int
) -> list[dict[str, Any]]:
    """SELECT bucket, MIN, MAX, COUNT, SUM ... GROUP BY bucket ORDER BY bucket DESC LIMIT."""
    return await (
        ticks.annotate(
            bucket=_bucket_start(interval),
            low=Min("price"),
            high=Max("price"),
            first_ts=Min("timestamp"),
            last_ts=Max("timestamp"),
            **_sums(),
        )
        .group_by("bucket")
        .order_by("-bucket")
        .limit(limit)
        .values(*CANDLE_COLUMNS)
    )


async def _edge_prices(
    ticks: QuerySet[MarketTickRecord], timestamps: set[int]
) -> tuple[dict[int, float], dict[int, float]]:
    """Per timestamp, the price of its first and of its last tick (ReceivedTick.recency).

    Only the ticks at the candles' first and last milliseconds are read: one indexed query,
    as `list_stats` does for the latest tick of each asset."""
    edge_ticks = await (
        ticks.filter(timestamp__in=sorted(timestamps))
        .order_by("timestamp", "received_at", "id")
        .values_list("timestamp", "price")
    )
    first: dict[int, float] = {}
    last: dict[int, float] = {}
    for timestamp, price in edge_ticks:
        first.setdefault(timestamp, price)
        last[timestamp] = price
    return first, last


async def totals(ticks: QuerySet[MarketTickRecord]) -> TradeTotals:
    """Sums over `ticks` (one asset's): SELECT COUNT, COUNT(quantity > 0), SUM, SUM."""
    rows = await (
        ticks.annotate(notional_sum=Sum("notional"), **_sums())
        .group_by("asset_symbol")
        .values("ticks", "trades", "volume", "notional_sum")
    )
    if not rows:
        return TradeTotals(ticks=0, trades=0, volume=0.0, notional=0.0)
    [row] = rows
    return TradeTotals(
        ticks=row["ticks"],
        trades=row["trades"],
        volume=float(row["volume"]),
        notional=float(row["notional_sum"]),
    )


AGGREGATES = {
    "n": Count("id"),
    "min_price": Min("price"),
    "max_price": Max("price"),
    "mean_price": Avg("price"),
    "last_ts": Max("timestamp"),
}
AGGREGATE_COLUMNS = ("asset_symbol", *AGGREGATES)


def _aggregates(ticks: QuerySet[MarketTickRecord]) -> Any:
    return ticks.annotate(**AGGREGATES).group_by("asset_symbol").values(*AGGREGATE_COLUMNS)


def _latest_of(asset_symbol: str) -> QuerySet[MarketTickRecord]:
    return MarketTickRecord.filter(asset_symbol=asset_symbol).order_by(
        "-timestamp", "-received_at", "-id"
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


class QuerySetReads:
    """The seed's TortoiseTickRepository reads."""

    async def latest(self, asset_symbol: str) -> MarketTick | None:
        record = await _latest_of(asset_symbol).first()
        if record is None:
            return None
        return MarketTick(
            asset_symbol=record.asset_symbol,
            price=record.price,
            timestamp=record.timestamp,
            source_id=record.source_id,
            quantity=record.quantity,
        )

    async def stats(self, asset_symbol: str) -> AssetStats | None:
        rows = await _aggregates(MarketTickRecord.filter(asset_symbol=asset_symbol))
        if not rows:
            return None
        last = await _latest_of(asset_symbol).filter(timestamp=rows[0]["last_ts"]).first()
        return _stats(rows[0], last) if last else None

    async def list_stats(self, *, limit: int, offset: int) -> list[AssetStats]:
        page = MarketTickRecord.all().order_by("asset_symbol").offset(offset).limit(limit)
        rows = await _aggregates(page)
        if not rows:
            return []
        pairs = [Q(asset_symbol=r["asset_symbol"], timestamp=r["last_ts"]) for r in rows]
        candidates = await MarketTickRecord.filter(Q(*pairs, join_type="OR")).order_by(
            "asset_symbol", "received_at", "id"
        )
        last = {record.asset_symbol: record for record in candidates}
        return [_stats(row, last[row["asset_symbol"]]) for row in rows]

    async def candles(
        self, asset_symbol: str, interval: CandleInterval, *, ticks_before: int | None, limit: int
    ) -> list[Candle]:
        ticks = MarketTickRecord.filter(asset_symbol=asset_symbol)
        if ticks_before is not None:
            ticks = ticks.filter(timestamp__lt=ticks_before)
        return await newest_candles(ticks, interval, limit)

    async def totals(self, asset_symbol: str, window: Window) -> TradeTotals:
        return await totals(
            MarketTickRecord.filter(
                asset_symbol=asset_symbol, timestamp__gt=window.start, timestamp__lte=window.end
            )
        )
