"""The outbox table on Tortoise ORM. The model is abstract: each service declares its concrete
`OutboxMessage` in its adapters/orm.py (its own database and migrations), because a Tortoise
model belongs to exactly one app.

Delivered messages are deleted, not flagged: the table holds only what is still due (plus
parked messages), so the relay's query stays cheap without a clean-up job."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import orjson
from tortoise import fields
from tortoise.expressions import F
from tortoise.functions import Count
from tortoise.indexes import Index
from tortoise.models import Model

from services.common.outbox import OutboxMessage, Payload
from services.common.sql_inserts import column_value

TABLE = "outbox_message"
# Serves "the oldest pending messages of a topic", and counts their items from the index alone
# (on SQLite the table's `items` sits behind a bundle's payload, in its overflow pages).
INDEXES = (
    Index(fields=("topic", "parked_at", "id", "items"), name="idx_outbox_topic_parked_id_items"),
)


class OutboxMessageModel(Model):
    id = fields.BigIntField(primary_key=True)  # increases with insertion: the delivery order
    topic = fields.CharField(max_length=100)
    payload = fields.JSONField()
    created_at = fields.DatetimeField()
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    parked_at = fields.DatetimeField(null=True)  # set when the relay gave up on it
    last_error = fields.CharField(max_length=500, null=True)
    items = fields.IntField(db_default=1)  # what the payload carries: 1, or a bundle's count

    class Meta:
        abstract = True


_COLUMNS = "id, topic, payload, created_at, attempts, next_attempt_at, items"
_PENDING = (
    f"SELECT {_COLUMNS} FROM {{table}} "
    "WHERE topic = {topic} AND parked_at IS NULL ORDER BY id LIMIT {limit}"
)
# The same head, cut where its running count of items passes {max_items} (the first message is
# always taken): the count runs over the index, and only the chosen rows' payloads are read.
_PENDING_WITHIN = (
    f"SELECT {_COLUMNS} FROM {{table}} WHERE id IN ("
    "SELECT id FROM (SELECT id, items, SUM(items) OVER (ORDER BY id) AS upto FROM ("
    "SELECT id, items FROM {table} WHERE topic = {topic} AND parked_at IS NULL "
    "ORDER BY id LIMIT {limit}) AS head) AS counted "
    "WHERE upto <= {max_items} OR upto = items"
    ") ORDER BY id"
)


_ADD = {
    "postgres": "INSERT INTO {table} "
    "(topic, payload, created_at, attempts, next_attempt_at, items) VALUES ($1, $2, $3, 0, $4, $5)",
    "sqlite": "INSERT INTO {table} "
    "(topic, payload, created_at, attempts, next_attempt_at, items) VALUES (?, ?, ?, 0, ?, ?)",
}
# Compare-and-set on the lease column, prepared (every batch the relay sends claims its head).
_CLAIM = {
    "postgres": "UPDATE {table} SET next_attempt_at = $1 "
    "WHERE id = $2 AND next_attempt_at = $3 AND parked_at IS NULL RETURNING id",
    "sqlite": "UPDATE {table} SET next_attempt_at = ? "
    "WHERE id = ? AND next_attempt_at = ? AND parked_at IS NULL RETURNING id",
}
# Delivered rows go in one statement per batch, its ids bound as parameters: Tortoise's
# `filter(id__in=...).delete()` compiles an IN list of literals through pypika per call.
_DELIVERED = {
    "postgres": "DELETE FROM {table} WHERE id = ANY($1::bigint[])",
    "sqlite": "DELETE FROM {table} WHERE id IN (SELECT value FROM json_each(?))",
}


def _message_of(row: dict[str, Any]) -> OutboxMessage:
    """A row as the database returns it: SQLite's JSON and dates are text (as Tortoise wrote
    them: JSON, ISO 8601 with the offset), PostgreSQL's dates are datetimes."""
    payload = row["payload"]
    return OutboxMessage(
        id=row["id"],
        topic=row["topic"],
        payload=payload if isinstance(payload, dict) else orjson.loads(payload),
        created_at=_moment(row["created_at"]),
        attempts=row["attempts"],
        next_attempt_at=_moment(row["next_attempt_at"]),
        items=row["items"],
    )


def _moment(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


class TortoiseOutboxStore:
    def __init__(self, model: type[OutboxMessageModel], clock: Callable[[], datetime]) -> None:
        self._model = model
        self._clock = clock

    async def add(self, topic: str, payload: Payload, *, items: int = 1) -> None:
        # One prepared statement in the caller's transaction (the connection Tortoise gives
        # this task), the payload by orjson: a model's create compiled the INSERT through
        # pypika and encoded the JSON with the stdlib (a 1,000-tick bundle: ~5 % of trading).
        client, statement, moment = self._insert()
        await client.execute_query(
            statement, [topic, orjson.dumps(payload).decode(), moment, moment, items]
        )

    async def add_many(self, topic: str, payloads: Sequence[Payload]) -> None:
        # One executemany in the caller's transaction (ids from the database, increasing in
        # list order), without a model per message: bulk_create's models were most of its CPU.
        if not payloads:
            return
        client, statement, moment = self._insert()
        rows = [(topic, orjson.dumps(p).decode(), moment, moment, 1) for p in payloads]
        await client.execute_many(statement, rows)

    def _insert(self) -> tuple[Any, str, Any]:
        client = self._model._meta.db
        dialect = "postgres" if client.capabilities.dialect == "postgres" else "sqlite"
        statement = _ADD[dialect].format(table=self._model._meta.db_table)
        moment = column_value(self._model, "created_at", self._clock())
        return client, statement, moment

    async def pending(
        self, topic: str, limit: int, max_items: int | None = None
    ) -> list[OutboxMessage]:
        # One statement, rows straight to messages: a model per row (its JSON and dates parsed
        # by Tortoise) was most of a relay's CPU per message at feed rates.
        client = self._model._meta.db
        postgres = client.capabilities.dialect == "postgres"
        statement = (_PENDING if max_items is None else _PENDING_WITHIN).format(
            table=self._model._meta.db_table,
            topic="$1" if postgres else "?",
            limit="$2" if postgres else "?",
            max_items="$3" if postgres else "?",
        )
        bound = [topic, limit] if max_items is None else [topic, limit, max_items]
        rows = await client.execute_query_dict(statement, bound)
        return [_message_of(row) for row in rows]

    async def claim(self, message: OutboxMessage, until: datetime) -> bool:
        # Compare-and-set on the lease column: of two relays reading the same head, one wins.
        client = self._model._meta.db
        dialect = "postgres" if client.capabilities.dialect == "postgres" else "sqlite"
        bound = [
            column_value(self._model, "next_attempt_at", until),
            message.id,
            column_value(self._model, "next_attempt_at", message.next_attempt_at),
        ]
        statement = _CLAIM[dialect].format(table=self._model._meta.db_table)
        return len(await client.execute_query_dict(statement, bound)) == 1

    async def delivered(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        client = self._model._meta.db
        postgres = client.capabilities.dialect == "postgres"
        statement = _DELIVERED["postgres" if postgres else "sqlite"].format(
            table=self._model._meta.db_table
        )
        # SQLite binds the list as one JSON text (no limit on bound variables to mind).
        bound = list(ids) if postgres else orjson.dumps(list(ids)).decode()
        await client.execute_query(statement, [bound])

    async def retry_later(self, ids: Sequence[int], at: datetime, error: str) -> None:
        if ids:
            await self._model.filter(id__in=list(ids)).update(
                attempts=F("attempts") + 1, next_attempt_at=at, last_error=error[:500]
            )

    async def park(self, message_id: int, at: datetime, error: str) -> None:
        await self._model.filter(id=message_id).update(
            attempts=F("attempts") + 1, parked_at=at, last_error=error[:500]
        )

    async def counts(self) -> dict[str, dict[str, int]]:
        found: dict[str, dict[str, int]] = {}
        for kind, parked in (("pending", False), ("parked", True)):
            rows = (
                await self._model.filter(parked_at__isnull=not parked)
                .annotate(n=Count("id"))
                .group_by("topic")
                .values("topic", "n")
            )
            for row in rows:
                found.setdefault(row["topic"], {"pending": 0, "parked": 0})[kind] = row["n"]
        return found
