"""Several prepared statements in one trip to the database, for the keyed write paths.

On SQLite every statement Tortoise runs is a trip to aiosqlite's worker thread and back: a
queue hand-off, a thread wake-up and a wake-up of the event loop, about 65 µs of CPU on these
2-core machines against ~5 µs for the statement itself. A mint ran ~20 of them. `fetch_together`
runs its statements one after the other in a single trip (one call on the worker thread), so
they cost what the statements cost. On PostgreSQL each statement is still its own exchange with
the server (asyncpg), as `sql_views.fetch` would run them.

Semantics are those of calling `sql_views.fetch` for each statement in turn: in the current
context's transaction (or autocommit outside one), stopping at the first error, which is raised
as Tortoise raises it (`IntegrityError`, `OperationalError`); the statements before it stay
done, as they would. Leans on aiosqlite's `Connection._execute` (run a function on the
connection's thread), pinned by tests/integration/test_sql_trips.py.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from tortoise.backends.sqlite.client import SqliteClient
from tortoise.connection import get_connection
from tortoise.exceptions import IntegrityError, OperationalError

from services.common.sql_views import SQLITE, Statement

Step = tuple[Statement, Sequence[Any]]  # a statement and its bound parameters
Rows = list[dict[str, Any]]


async def fetch_together(connection: str, *steps: Step) -> list[Rows]:
    """Each step's rows (dicts, keys in the order it selects them), in order."""
    client = get_connection(connection)
    dialect = client.capabilities.dialect
    if dialect == SQLITE.name and isinstance(client, SqliteClient):  # its transactions too
        prepared = [(query.sqlite, list(params)) for query, params in steps]
        async with client.acquire_connection() as sqlite:
            try:
                return await sqlite._execute(_run_steps, sqlite._conn, prepared)
            except sqlite3.IntegrityError as error:
                raise IntegrityError(error) from error
            except sqlite3.OperationalError as error:
                raise OperationalError(error) from error
    return [
        await client.execute_query_dict(query.for_dialect(dialect), list(params))
        for query, params in steps
    ]


def _run_steps(raw: sqlite3.Connection, steps: list[tuple[str, list[Any]]]) -> list[Rows]:
    """On aiosqlite's thread: the statements in turn, as `execute_query_dict` would run each."""
    found = []
    for query, params in steps:
        cursor = raw.execute(query, params)
        try:
            found.append([dict(row) for row in cursor.fetchall()])
        finally:
            cursor.close()
    return found
