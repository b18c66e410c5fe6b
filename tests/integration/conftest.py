"""Repository tests run twice: on a SQLite file and on a PostgreSQL database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE

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
