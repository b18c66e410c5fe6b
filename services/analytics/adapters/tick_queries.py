"""Analytics' reads as one SQL statement each, rows straight to domain values: no QuerySet to
build and compile per request, no MarketTickRecord per row (issue 13: those were most of a
read's CPU; the SQL itself is a fraction of it).

Each statement is written once with PostgreSQL's numbered parameters ($1) and rewritten for
SQLite's (?1) at import; both databases run the same text otherwise. Orders follow
ReceivedTick.recency (timestamp, then received_at, then id), as the domain's reference
functions do (tests/integration/test_analytics_reads.py compares the answers with them and with
the QuerySet reads these replace)."""

from __future__ import annotations

import re
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from services.analytics.adapters.orm import MarketTickRecord
from services.analytics.domain.candles import Candle, CandleInterval
from services.analytics.domain.model import AssetStats, MarketTick
from services.analytics.domain.volume import TradeTotals, Window

# Above every tick's timestamp (market_data.MAX_TIMESTAMP_MS): "no upper bound" as a number,
# so that one statement serves with and without one.
NO_BOUND = 2**62

_LAST_PRICE = """
    SELECT price FROM market_tick AS t
    WHERE t.asset_symbol = {symbol} AND t."timestamp" = {timestamp}
    ORDER BY t.received_at {order}, t.id {order} LIMIT 1"""

STATS = f"""
WITH aggregates AS (
    SELECT COUNT(*) AS n, MIN(price) AS min_price, MAX(price) AS max_price,
           AVG(price) AS mean_price, MAX("timestamp") AS last_ts
    FROM market_tick WHERE asset_symbol = $1
)
SELECT aggregates.*,
       ({_LAST_PRICE.format(symbol="$1", timestamp="aggregates.last_ts", order="DESC")})
       AS last_price
FROM aggregates
"""

LIST_STATS = f"""
WITH page AS (
    SELECT asset_symbol, COUNT(*) AS n, MIN(price) AS min_price, MAX(price) AS max_price,
           AVG(price) AS mean_price, MAX("timestamp") AS last_ts
    FROM market_tick GROUP BY asset_symbol ORDER BY asset_symbol LIMIT $1 OFFSET $2
)
SELECT page.*,
       ({_LAST_PRICE.format(symbol="page.asset_symbol", timestamp="page.last_ts", order="DESC")})
       AS last_price
FROM page ORDER BY asset_symbol
"""

LATEST = """
SELECT asset_symbol, price, "timestamp", source_id, quantity FROM market_tick
WHERE asset_symbol = $1 ORDER BY "timestamp" DESC, received_at DESC, id DESC LIMIT 1
"""

TOTALS = """
SELECT COUNT(*) AS ticks, COUNT(CASE WHEN quantity > 0 THEN 1 END) AS trades,
       COALESCE(SUM(quantity), 0) AS volume, COALESCE(SUM(notional), 0) AS notional
FROM market_tick WHERE asset_symbol = $1 AND "timestamp" > $2 AND "timestamp" <= $3
"""

_CANDLE_COLUMNS = """
    SELECT "timestamp" / {ms} * {ms} AS bucket, MIN(price) AS low, MAX(price) AS high,
           MIN("timestamp") AS first_ts, MAX("timestamp") AS last_ts, COUNT(*) AS ticks,
           COUNT(CASE WHEN quantity > 0 THEN 1 END) AS trades, SUM(quantity) AS volume
    FROM market_tick"""

# A busy feed ticks in every interval, so its newest `limit` candles lie in the last `limit`
# intervals: that index range is aggregated first (`recent`), the older ticks only when it
# holds fewer candles (gaps; the condition is constant, evaluated once). The split is on a
# candle boundary: no candle is cut. $1 symbol, $2 ticks below, $3 (limit - 1) intervals in
# ms, $4 limit. {ms}: one of CandleInterval's constants, never client text.
_CANDLES = f"""
WITH newest AS (
    SELECT MAX("timestamp") / {{ms}} * {{ms}} - $3 AS split
    FROM market_tick WHERE asset_symbol = $1 AND "timestamp" < $2
),
recent AS (
    {_CANDLE_COLUMNS}
    WHERE asset_symbol = $1 AND "timestamp" < $2 AND "timestamp" >= (SELECT split FROM newest)
    GROUP BY bucket ORDER BY bucket DESC LIMIT $4
),
older AS (
    {_CANDLE_COLUMNS}
    WHERE asset_symbol = $1 AND "timestamp" < (SELECT split FROM newest)
      AND (SELECT COUNT(*) FROM recent) < $4
    GROUP BY bucket ORDER BY bucket DESC LIMIT $4
),
candles AS (SELECT * FROM recent UNION ALL SELECT * FROM older)
SELECT candles.*,
       ({_LAST_PRICE.format(symbol="$1", timestamp="candles.first_ts", order="ASC")}) AS open,
       ({_LAST_PRICE.format(symbol="$1", timestamp="candles.last_ts", order="DESC")}) AS close
FROM candles ORDER BY bucket DESC LIMIT $4
"""
CANDLES = {interval: _CANDLES.format(ms=interval.millis) for interval in CandleInterval}

_NUMBERED = re.compile(r"\$(\d+)")


def _sqlite(statement: str) -> str:
    return _NUMBERED.sub(r"?\1", statement)


class _Statements:
    """Every statement in both dialects, made once."""

    def __init__(self) -> None:
        named = {"stats": STATS, "list_stats": LIST_STATS, "latest": LATEST, "totals": TOTALS}
        named |= {f"candles {i.value}": s for i, s in CANDLES.items()}
        self.postgres = named
        self.sqlite = {name: _sqlite(statement) for name, statement in named.items()}

    def of(self, client: BaseDBAsyncClient) -> dict[str, str]:
        return self.postgres if client.capabilities.dialect == "postgres" else self.sqlite


_STATEMENTS = _Statements()


async def _rows(name: str, values: list[Any]) -> list[dict[str, Any]]:
    client = MarketTickRecord._meta.db
    return await client.execute_query_dict(_STATEMENTS.of(client)[name], values)


def _stats(row: dict[str, Any], asset_symbol: str) -> AssetStats:
    return AssetStats(
        asset_symbol=asset_symbol,
        count=row["n"],
        min=float(row["min_price"]),
        max=float(row["max_price"]),
        mean=float(row["mean_price"]),
        last=float(row["last_price"]),
        last_timestamp=row["last_ts"],
    )


async def stats(asset_symbol: str) -> AssetStats | None:
    [row] = await _rows("stats", [asset_symbol])
    return _stats(row, asset_symbol) if row["n"] else None


async def list_stats(*, limit: int, offset: int) -> list[AssetStats]:
    rows = await _rows("list_stats", [limit, offset])
    return [_stats(row, row["asset_symbol"]) for row in rows]


async def latest(asset_symbol: str) -> MarketTick | None:
    rows = await _rows("latest", [asset_symbol])
    if not rows:
        return None
    [row] = rows
    return MarketTick(
        asset_symbol=row["asset_symbol"],
        price=row["price"],
        timestamp=row["timestamp"],
        source_id=row["source_id"],
        quantity=row["quantity"],
    )


async def totals(asset_symbol: str, window: Window) -> TradeTotals:
    [row] = await _rows("totals", [asset_symbol, window.start, window.end])
    return TradeTotals(
        ticks=row["ticks"],
        trades=row["trades"],
        volume=float(row["volume"]),
        notional=float(row["notional"]),
    )


async def candles(
    asset_symbol: str, interval: CandleInterval, *, ticks_before: int | None, limit: int
) -> list[Candle]:
    bound = NO_BOUND if ticks_before is None else ticks_before
    values = [asset_symbol, bound, (limit - 1) * interval.millis, limit]
    return [
        Candle(
            start=int(row["bucket"]),
            open=float(row["open"]),
            high=float(row["high"]),
            low=float(row["low"]),
            close=float(row["close"]),
            volume=float(row["volume"]),
            trades=row["trades"],
            ticks=row["ticks"],
        )
        for row in await _rows(f"candles {interval.value}", values)
    ]
