"""The outbox table on Tortoise ORM. The model is abstract: each service declares its concrete
`OutboxMessage` in its adapters/orm.py (its own database and migrations), because a Tortoise
model belongs to exactly one app.

Delivered messages are deleted, not flagged: the table holds only what is still due (plus
parked messages), so the relay's query stays cheap without a clean-up job."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import orjson
from tortoise import fields
from tortoise.expressions import F
from tortoise.functions import Count, Min
from tortoise.indexes import Index
from tortoise.models import Model

from services.common.outbox import OutboxMessage, Payload, TopicBacklog
from services.common.sql_inserts import column_value
from services.common.sql_views import POSTGRES, Dialect, Statement, statement
from services.common.tracing import current_traceparent

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
    # The traceparent of the request that queued it (services/common/tracing.py).
    trace_context = fields.CharField(max_length=55, null=True)

    class Meta:
        abstract = True


_COLUMNS = "id, topic, payload, created_at, attempts, next_attempt_at, items, trace_context"


@dataclass(frozen=True)
class _Statements:
    """One outbox table's statements, each in both dialects (services.common.sql_views)."""

    add: Statement
    pending: Statement
    pending_within: Statement
    claim: Statement
    delivered: Statement


def _statements(table: str) -> _Statements:
    def head(d: Dialect, columns: str) -> str:
        return (
            f"SELECT {columns} FROM {table} WHERE topic = {d.param(1)} AND parked_at IS NULL "
            f"ORDER BY id LIMIT {d.param(2)}"
        )

    def delivered(d: Dialect) -> str:
        # SQLite binds the list as one JSON text (no limit on bound variables to mind).
        if d.name == POSTGRES.name:
            return f"DELETE FROM {table} WHERE id = ANY({d.param(1)}::bigint[])"
        return f"DELETE FROM {table} WHERE id IN (SELECT value FROM json_each({d.param(1)}))"

    return _Statements(
        add=statement(
            lambda d: (
                f"INSERT INTO {table} "
                "(topic, payload, created_at, attempts, next_attempt_at, items, trace_context) "
                f"VALUES ({d.param(1)}, {d.param(2)}, {d.param(3)}, 0, {d.param(4)}, "
                f"{d.param(5)}, {d.param(6)})"
            )
        ),
        pending=statement(lambda d: head(d, _COLUMNS)),
        # The same head, cut where its running count of items passes the third parameter (the
        # first message always taken): the count runs over the index, and only the chosen
        # rows' payloads are read.
        pending_within=statement(
            lambda d: (
                f"SELECT {_COLUMNS} FROM {table} WHERE id IN ("
                "SELECT id FROM (SELECT id, items, SUM(items) OVER (ORDER BY id) AS upto FROM ("
                f"{head(d, 'id, items')}) AS head) AS counted "
                f"WHERE upto <= {d.param(3)} OR upto = items"
                ") ORDER BY id"
            )
        ),
        # Compare-and-set on the lease column (every batch the relay sends claims its head).
        claim=statement(
            lambda d: (
                f"UPDATE {table} SET next_attempt_at = {d.param(1)} WHERE id = {d.param(2)} "
                f"AND next_attempt_at = {d.param(3)} AND parked_at IS NULL RETURNING id"
            )
        ),
        # Delivered rows go in one statement per batch, its ids bound as parameters: Tortoise's
        # `filter(id__in=...).delete()` compiles an IN list of literals through pypika per call.
        delivered=statement(delivered),
    )


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
        trace_context=row["trace_context"],
    )


def _moment(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


class TortoiseOutboxStore:
    """Every statement in the caller's transaction: the connection Tortoise gives this task
    (`Model._meta.db`). Prepared, rows straight to messages: the ORM compiled each query
    through pypika, built a model per row and encoded or parsed its JSON with the stdlib,
    most of a relay's CPU per message at feed rates (a 1,000-tick bundle: ~5 % of trading's)."""

    def __init__(self, model: type[OutboxMessageModel], clock: Callable[[], datetime]) -> None:
        self._model = model
        self._clock = clock
        self._sql = _statements(model._meta.db_table)

    async def add(self, topic: str, payload: Payload, *, items: int = 1) -> None:
        client, moment = self._model._meta.db, self._now()
        await client.execute_query(
            self._in(client, self._sql.add),
            [topic, orjson.dumps(payload).decode(), moment, moment, items, current_traceparent()],
        )

    async def add_many(self, topic: str, payloads: Sequence[Payload]) -> None:
        # One executemany (ids from the database, increasing in list order).
        if not payloads:
            return
        client, moment = self._model._meta.db, self._now()
        traced = current_traceparent()
        rows = [(topic, orjson.dumps(p).decode(), moment, moment, 1, traced) for p in payloads]
        await client.execute_many(self._in(client, self._sql.add), rows)

    async def pending(
        self, topic: str, limit: int, max_items: int | None = None
    ) -> list[OutboxMessage]:
        client = self._model._meta.db
        if max_items is None:
            query, bound = self._sql.pending, [topic, limit]
        else:
            query, bound = self._sql.pending_within, [topic, limit, max_items]
        rows = await client.execute_query_dict(self._in(client, query), bound)
        return [_message_of(row) for row in rows]

    async def claim(self, message: OutboxMessage, until: datetime) -> bool:
        # Of two relays reading the same head, one wins.
        client = self._model._meta.db
        bound = [
            column_value(self._model, "next_attempt_at", until),
            message.id,
            column_value(self._model, "next_attempt_at", message.next_attempt_at),
        ]
        return len(await client.execute_query_dict(self._in(client, self._sql.claim), bound)) == 1

    async def delivered(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        client = self._model._meta.db
        postgres = client.capabilities.dialect == POSTGRES.name
        bound = list(ids) if postgres else orjson.dumps(list(ids)).decode()
        await client.execute_query(self._in(client, self._sql.delivered), [bound])

    def _now(self) -> Any:
        return column_value(self._model, "created_at", self._clock())

    @staticmethod
    def _in(client: Any, query: Statement) -> str:
        return query.for_dialect(client.capabilities.dialect)

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

    async def backlog(self) -> dict[str, TopicBacklog]:
        pending = (
            await self._model.filter(parked_at__isnull=True)
            .annotate(n=Count("id"), oldest=Min("created_at"))
            .group_by("topic")
            .values("topic", "n", "oldest")
        )
        parked = (
            await self._model.filter(parked_at__isnull=False)
            .annotate(n=Count("id"))
            .group_by("topic")
            .values("topic", "n")
        )
        found = {row["topic"]: TopicBacklog(row["n"], 0, _moment(row["oldest"])) for row in pending}
        for row in parked:
            found[row["topic"]] = replace(found.get(row["topic"], TopicBacklog()), parked=row["n"])
        return found
