"""Where Idempotency-Key responses are kept: the service's database (one transaction with the
handler's writes), or memory when a service runs on in-memory fakes (tests)."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import orjson
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from services.common.idempotency import KeyRace, StoredResponse
from services.common.idempotency_orm import IdempotencyRecordModel
from services.common.sql_inserts import column_value, insert_statement
from services.common.sql_trips import fetch_together
from services.common.sql_views import Statement, statement

# One prepared statement each (services.common.sql_views): every keyed write runs find and
# save, and the ORM compiled each query through pypika and built a model per row. Each of find
# and save is one trip to the database (services.common.sql_trips).
_SAVED = (
    "scope",
    "key",
    "fingerprint",
    "response_status",
    "response_body",
    "response_headers",
    "created_at",
    "expires_at",
)


def _statements(table: str) -> dict[str, Statement]:
    return {
        "clear": statement(
            lambda d: (
                f'DELETE FROM {table} WHERE scope = {d.param(1)} AND "key" = {d.param(2)} '
                f"AND expires_at <= {d.param(3)}"
            )
        ),
        "find": statement(
            lambda d: (
                "SELECT fingerprint, response_status, response_body, response_headers "
                f'FROM {table} WHERE scope = {d.param(1)} AND "key" = {d.param(2)} '
                f"AND expires_at > {d.param(3)}"
            )
        ),
        # Other expired records go a few at a time, with each save.
        "sweep": statement(
            lambda d: (
                f"DELETE FROM {table} WHERE id IN "
                f"(SELECT id FROM {table} WHERE expires_at <= {d.param(1)} LIMIT 10)"
            )
        ),
    }


def _json(value: Any) -> Any:
    """A JSON column as the driver returns it (text on SQLite and asyncpg), decoded."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value


class DatabaseIdempotencyStore:
    def __init__(self, connection_name: str, model: type[IdempotencyRecordModel]) -> None:
        self._connection_name = connection_name
        self._model = model
        self._sql = _statements(model._meta.db_table)
        self._save = insert_statement(model, _SAVED)

    @classmethod
    def of_service(cls, connection_name: str, models_module: str) -> DatabaseIdempotencyStore:
        """The store on a service's own `IdempotencyRecord` model (in its adapters/orm.py)."""
        model = importlib.import_module(models_module).IdempotencyRecord
        return cls(connection_name, model)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        # Tortoise binds the transaction to this task: the handler's repositories write in it.
        async with in_transaction(self._connection_name):
            yield

    async def find(self, scope: str, key: str, now: datetime) -> StoredResponse | None:
        # A write first: an expired record of the key makes way, and on SQLite the transaction
        # takes the write lock now, waiting its turn (busy_timeout). Reading first would pin a
        # snapshot that another instance's commit makes stale, and the later write would fail
        # at once with "database is locked" instead of waiting.
        moment = self._moment(now)
        _, rows = await fetch_together(
            self._connection_name,
            (self._sql["clear"], (scope, key, moment)),
            (self._sql["find"], (scope, key, moment)),
        )
        if not rows:
            return None
        row = rows[0]
        return StoredResponse(
            fingerprint=row["fingerprint"],
            status=row["response_status"],
            body=_json(row["response_body"]),
            headers=dict(_json(row["response_headers"]) or {}),
        )

    async def save(
        self, scope: str, key: str, response: StoredResponse, now: datetime, expires_at: datetime
    ) -> None:
        # find() cleared an expired record of the key; other expired ones go a few at a time.
        # JSON encoded here, not by the field: Tortoise takes a str as JSON already encoded, so
        # a handler answering a bare string would not be stored as that string.
        body = None if response.body is None else orjson.dumps(response.body).decode()
        row = (
            scope,
            key,
            response.fingerprint,
            response.status,
            body,
            orjson.dumps(response.headers).decode(),
            self._moment(now),
            self._moment(expires_at),
        )
        try:
            await fetch_together(
                self._connection_name,
                (self._save, row),
                (self._sql["sweep"], (self._moment(now),)),
            )
        except IntegrityError as error:  # the INSERT's: the sweep runs only after it
            raise KeyRace() from error

    def _moment(self, value: datetime) -> Any:
        # As Tortoise writes the column (text on SQLite: compared as text, so the same format).
        return column_value(self._model, "expires_at", value)


class InMemoryIdempotencyStore:
    """One process's memory: enough for a single instance on fakes, not for a mesh."""

    def __init__(self) -> None:
        self._records: dict[tuple[str, str], tuple[StoredResponse, datetime]] = {}
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        async with self._lock:  # one keyed request at a time: duplicates wait, then replay
            yield

    async def find(self, scope: str, key: str, now: datetime) -> StoredResponse | None:
        found = self._records.get((scope, key))
        return found[0] if found and found[1] > now else None

    async def save(
        self, scope: str, key: str, response: StoredResponse, now: datetime, expires_at: datetime
    ) -> None:
        self._records[(scope, key)] = (response, expires_at)
