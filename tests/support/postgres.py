"""PostgreSQL for tests: a throw-away database per test, or a clear skip when none answers."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest

SERVER_URL = os.environ.get("CAPSURE_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432")


async def _admin_connection() -> asyncpg.Connection:
    return await asyncpg.connect(f"{SERVER_URL}/postgres", timeout=3)


async def require_postgres() -> None:
    """Skip the calling test, saying why, when no PostgreSQL server answers."""
    try:
        connection = await _admin_connection()
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        pytest.skip(
            f"PostgreSQL not reachable at {SERVER_URL} ({error!r}); set CAPSURE_TEST_POSTGRES"
        )
    await connection.close()


@asynccontextmanager
async def temporary_database(prefix: str, *, create: bool = True) -> AsyncIterator[str]:
    """URL of a new, empty database (`create=False`: not created yet, for code that must
    create it); dropped afterwards, even with connections left open."""
    await require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    if create:
        connection = await _admin_connection()
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()
    try:
        yield f"{SERVER_URL}/{name}"
    finally:
        connection = await _admin_connection()
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()
