"""A transaction that joins the caller's: for steps that are always part of a bigger write.

Tortoise's `in_transaction` inside another makes a savepoint, two more trips to the database
(SAVEPOINT, RELEASE). A step whose every caller already holds a transaction that an error
leaving the step undoes (a use case's atomic block) needs no savepoint of its own; alone, it
still gets a transaction of its own, so its writes never commit by halves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tortoise.backends.base.client import TransactionalDBClient
from tortoise.connection import get_connection
from tortoise.transactions import in_transaction


def in_a_transaction(connection: str) -> bool:
    """Whether this task is inside a transaction on `connection`."""
    return isinstance(get_connection(connection), TransactionalDBClient)


@asynccontextmanager
async def joined_transaction(connection: str) -> AsyncIterator[None]:
    """The caller's transaction if there is one (an error must leave it: the caller's
    rollback undoes the step), else a transaction of its own."""
    if in_a_transaction(connection):
        yield
        return
    async with in_transaction(connection):
        yield
