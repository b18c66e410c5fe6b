"""Read models (the CQRS read side, after cosmicpython's views): one SQL statement per dialect,
its rows straight to the contract's JSON, without a QuerySet or model instances.

Writes stay on the domain model; a view only reads what the repositories wrote. Parameters are
always bound, never formatted in. Timestamps leave the database already in the contract's form
(services.common.timestamps.rfc3339): `Dialect.timestamp` writes the expression for each
dialect.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.connection import get_connection

from services.common.timestamps import rfc3339


@dataclass(frozen=True)
class Dialect:
    """What a statement template needs to know of the database it is written for."""

    name: str  # as Tortoise names it: client.capabilities.dialect

    def param(self, position: int) -> str:
        """The marker of the `position`-th (from 1) bound parameter."""
        return "?" if self.name == SQLITE.name else f"${position}"

    def timestamp(self, column: str) -> str:
        """An expression giving `column` (a Tortoise DatetimeField) as rfc3339 writes it: UTC
        as `Z`, microseconds only when there are any (as `datetime.isoformat`).

        SQLite keeps the text `isoformat(" ")` wrote; an app that writes UTC stores `+00:00`,
        which becomes `Z` by string surgery (SQLite's own date functions round microseconds,
        up to the next second). Any other offset is left as stored for `contract_timestamp`.
        PostgreSQL formats the instant itself, in UTC whatever the session's time zone."""
        if self.name == SQLITE.name:
            return (
                f"CASE WHEN substr({column}, -6) = '+00:00'"
                f" THEN replace(substr({column}, 1, length({column}) - 6), ' ', 'T') || 'Z'"
                f" ELSE {column} END"
            )
        utc = f"({column} AT TIME ZONE 'UTC')"
        return (
            f"CASE WHEN date_trunc('second', {utc}) = {utc}"
            f""" THEN to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""
            f""" ELSE to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END"""
        )


SQLITE = Dialect("sqlite")
POSTGRES = Dialect("postgres")


@dataclass(frozen=True)
class Statement:
    """One query in each dialect's words, written once by a template (see `statement`)."""

    sqlite: str
    postgres: str

    def for_dialect(self, dialect: str) -> str:
        if dialect == SQLITE.name:
            return self.sqlite
        if dialect == POSTGRES.name:
            return self.postgres
        raise ValueError(f"no read model for the {dialect!r} dialect")


def statement(template: Callable[[Dialect], str]) -> Statement:
    """Both dialects' statements, built once (at import) from one template."""
    return Statement(sqlite=template(SQLITE), postgres=template(POSTGRES))


async def fetch(connection: str, query: Statement, *params: Any) -> list[dict[str, Any]]:
    """The query's rows as dicts, keys in the order it selects them. Through the current
    context's connection, so inside a transaction it reads what that transaction sees.
    asyncpg keeps each statement prepared per connection (its statement cache)."""
    client = get_connection(connection)
    return await client.execute_query_dict(
        query.for_dialect(client.capabilities.dialect), list(params)
    )


def contract_timestamp(value: str) -> str:
    """A timestamp from `Dialect.timestamp` as the contract writes it. Already so unless SQLite
    stored an offset other than UTC (nothing this project writes does): then parsed once."""
    if value.endswith("Z"):
        return value
    return rfc3339(datetime.fromisoformat(value).astimezone(UTC))
