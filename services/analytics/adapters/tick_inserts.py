"""Bulk insert of ticks, one statement (PostgreSQL) or one transaction (SQLite) per batch,
without building a model per tick: at feed rates Tortoise's bulk_create spent more time making
MarketTickRecord objects than the database spent storing them.

Duplicates by source_id (stored already, or twice in the batch) are skipped by the unique
index without a race: ON CONFLICT DO NOTHING / INSERT OR IGNORE. Both dialects report how many
rows were stored. Values go through the fields' own to_db_value, so a row reads back through
the model exactly as one Tortoise wrote."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from services.analytics.adapters.orm import MarketTickRecord
from services.analytics.domain.model import ReceivedTick
from services.common.uncancellable import finished_even_if_cancelled

_SQLITE_INSERT = (
    "INSERT OR IGNORE INTO market_tick "
    '(id, asset_symbol, price, "timestamp", source_id, received_at, quantity, notional) '
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
# One statement whatever the batch's size: the columns travel as arrays, unnest() makes rows.
# The CTE counts what was stored (asyncpg's status line of a bare INSERT is not read by Tortoise).
_POSTGRES_INSERT = """
WITH stored AS (
    INSERT INTO market_tick
        (id, asset_symbol, price, "timestamp", source_id, received_at, quantity, notional)
    SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::float8[], $4::int8[], $5::varchar[],
                         $6::timestamptz[], $7::float8[], $8::float8[])
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT count(*) AS stored FROM stored
"""


async def insert_ticks(ticks: Sequence[ReceivedTick]) -> int:
    """Store `ticks` all-or-nothing; how many were new. Finished even when the caller is
    cancelled meanwhile (services/common/uncancellable says why)."""
    if not ticks:
        return 0
    client = MarketTickRecord._meta.db
    if client.capabilities.dialect == "postgres":
        return await finished_even_if_cancelled(_insert_postgres(client, ticks))
    return await finished_even_if_cancelled(_insert_sqlite(client, ticks))


def _rows(ticks: Sequence[ReceivedTick]) -> list[tuple[Any, ...]]:
    """Column values in INSERT order. The ticks of a batch share their received_at: each
    moment is converted once."""
    received_at = MarketTickRecord._meta.fields_map["received_at"]
    moments = {
        m: received_at.to_db_value(m, MarketTickRecord) for m in {t.received_at for t in ticks}
    }
    return [
        (
            str(t.id),
            t.tick.asset_symbol,
            t.tick.price,
            t.tick.timestamp,
            t.tick.source_id,
            moments[t.received_at],
            t.tick.quantity,
            t.tick.notional,
        )
        for t in ticks
    ]


async def _insert_sqlite(client: BaseDBAsyncClient, ticks: Sequence[ReceivedTick]) -> int:
    rows = _rows(ticks)
    if len(rows) == 1:  # one statement in autocommit: no transaction to open (unary calls)
        changed, _ = await client.execute_query(_SQLITE_INSERT, list(rows[0]))
        return changed
    # The connection's lock is held from BEGIN to COMMIT: no other write interleaves.
    async with client.acquire_connection() as connection:
        before = connection.total_changes
        await connection.execute("BEGIN")
        try:
            await connection.executemany(_SQLITE_INSERT, rows)
        except BaseException:
            await connection.rollback()
            raise
        await connection.commit()
        return connection.total_changes - before


async def _insert_postgres(client: BaseDBAsyncClient, ticks: Sequence[ReceivedTick]) -> int:
    columns = [list(column) for column in zip(*_rows(ticks), strict=True)]
    [row] = await client.execute_query_dict(_POSTGRES_INSERT, columns)
    return int(row["stored"])
