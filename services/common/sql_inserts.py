"""One row into a Tortoise model's table with a prepared INSERT (per dialect, built once per
model and column set), each value converted by its field as Tortoise would write it: for the
hot write paths, where `Model.create` compiled the INSERT through pypika and built a model
instance on every call."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from tortoise.models import Model

from services.common.sql_views import Statement, fetch, statement


@cache
def insert_statement(model: type[Model], columns: tuple[str, ...]) -> Statement:
    """`INSERT INTO` the model's table, these fields' columns, a parameter each in order."""
    table = model._meta.db_table
    names = ", ".join(f'"{model._meta.fields_map[c].source_field or c}"' for c in columns)
    return statement(
        lambda d: (
            f'INSERT INTO "{table}" ({names}) VALUES ('
            + ", ".join(d.param(n) for n in range(1, len(columns) + 1))
            + ")"
        )
    )


async def insert_row(connection: str, model: type[Model], values: Mapping[str, Any]) -> None:
    """`values` by field name, every column the row needs (Python-side defaults are not
    applied: pass them). In the current context's transaction, like the ORM."""
    query, row = insert_step(model, values)
    await fetch(connection, query, *row)


def insert_step(model: type[Model], values: Mapping[str, Any]) -> tuple[Statement, list[Any]]:
    """The INSERT of `values` (as `insert_row` takes them) and its parameters, to run with
    others in one trip (services.common.sql_trips)."""
    columns = tuple(values)
    return insert_statement(model, columns), [column_value(model, c, values[c]) for c in columns]


def column_value(model: type[Model], field: str, value: Any) -> Any:
    """`value` as Tortoise writes it to `field`'s column: a parameter of a prepared statement
    (on SQLite a datetime is text, compared as text, so it must be written the same way)."""
    return model._meta.fields_map[field].to_db_value(value, model)
