"""The notification read model on SQL: a user's notifications as the contract's JSON, one
statement, for the hot read. Delivering and acknowledging go through the repository.

It answers exactly what `notification_to_contract` makes of the repository's notifications (an
integration test holds it to that on both databases)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson

from services.common.sql_views import Dialect, Statement, contract_timestamp, fetch, statement
from services.notification.adapters.orm import CONNECTION


def _list(unread_only: bool) -> Statement:
    # As TortoiseNotificationRepository.list_for: the user's only, newest delivered first.
    # occurred_at is stored as the contract writes it (rfc3339, the publisher's offset kept).
    def template(d: Dialect) -> str:
        unread = " AND read_at IS NULL" if unread_only else ""
        return f"""SELECT CAST(id AS TEXT) AS "id", CAST(event_id AS TEXT) AS "eventId",
            type AS "type", CAST(user_id AS TEXT) AS "userId", occurred_at AS "occurredAt",
            data AS "data", {d.timestamp("created_at")} AS "createdAt",
            read_at IS NOT NULL AS "read", {d.timestamp("read_at")} AS "readAt"
        FROM notification WHERE user_id = {d.param(1)}{unread}
        ORDER BY created_at DESC, id DESC LIMIT {d.param(2)} OFFSET {d.param(3)}"""

    return statement(template)


_ALL, _UNREAD = _list(unread_only=False), _list(unread_only=True)


def _to_contract(row: dict[str, Any]) -> dict[str, Any]:
    row["data"] = orjson.loads(row["data"])
    row["createdAt"] = contract_timestamp(row["createdAt"])
    row["read"] = bool(row["read"])  # SQLite answers 0 or 1
    if row["readAt"] is not None:
        row["readAt"] = contract_timestamp(row["readAt"])
    return row


class SqlNotificationViews:
    async def for_user(
        self, user_id: UUID, *, unread_only: bool, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        query = _UNREAD if unread_only else _ALL
        rows = await fetch(CONNECTION, query, str(user_id), limit, offset)
        return [_to_contract(row) for row in rows]
