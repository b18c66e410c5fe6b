"""The PostgreSQL the benchmarks measure against: 127.0.0.1:5432, trust auth, temporary
databases (made by the apps at start, as in production: services.common.database
.ensure_postgres_database; dropped here afterwards). Skipped, with the reason, when nothing
answers there."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from uuid import uuid4

import asyncpg

POSTGRES = "postgres://postgres@127.0.0.1:5432"


def postgres_unavailable() -> str:
    """Why PostgreSQL cannot be used ("" when it answers)."""

    async def ask() -> None:
        connection = await asyncpg.connect(f"{POSTGRES}/postgres", timeout=3)
        await connection.close()

    try:
        asyncio.run(ask())
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        return repr(error)
    return ""


def temporary_database_name() -> str:
    return f"capsure_bench_{uuid4().hex[:12]}"


async def drop_database(name: str) -> None:
    """FORCE: a connection the stopped app left behind must not keep the database alive."""
    connection = await asyncpg.connect(f"{POSTGRES}/postgres", timeout=5)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def drop_databases(names: Iterable[str]) -> None:
    for name in names:
        asyncio.run(drop_database(name))
