"""Repository tests run twice: on a SQLite file and on a PostgreSQL database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate

from services.common.database import (
    SQLITE_PRAGMAS,
    DatabaseSpec,
    apply_migrations,
    close_database,
    open_database,
)
from tests.support.postgres import temporary_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path}/test.sqlite3?{SQLITE_PRAGMAS}"
    else:
        async with temporary_database("capsure_test") as url:
            yield url


@asynccontextmanager
async def migrated_and_open(spec: DatabaseSpec) -> AsyncIterator[DatabaseSpec]:
    """The service's start-up path: migrations, then the ORM; closed afterwards."""
    # Tortoise caches SQL per connection name, not per dialect: clear it between backends.
    EXECUTOR_CACHE.clear()
    await apply_migrations(spec)
    await open_database(spec)
    try:
        yield spec
    finally:
        await close_database()


async def seeded_at(spec: DatabaseSpec, migration: str, sql: str) -> None:
    """`spec`'s database migrated only up to its `migration` (e.g. "0001_initial"), then `sql`
    run on it: rows as an older release stored them, for `migrated_and_open` to upgrade."""
    EXECUTOR_CACHE.clear()
    async with TortoiseContext():
        await migrate(config=spec.tortoise_config(), target=f"{spec.name}.{migration}")
    async with TortoiseContext() as context:
        await context.init(config=spec.tortoise_config())
        await context.connections.get(spec.name).execute_script(sql)
