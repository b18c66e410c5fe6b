"""Instances starting together on one PostgreSQL database migrate it once, not in a race."""

import asyncio
from pathlib import Path

import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.context import TortoiseContext

from services.common.database import apply_migrations, service_database
from services.nft.config import NftSettings
from tests.support.postgres import temporary_database

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

MIGRATIONS = sorted(
    path.stem
    for path in (Path(__file__).resolve().parents[2] / "services/nft/migrations").glob("0*.py")
)


async def test_concurrent_start_ups_migrate_once():
    EXECUTOR_CACHE.clear()
    async with temporary_database("capsure_migrate", create=False) as url:
        spec = service_database("nft", NftSettings(database_url=url))
        # Four instances at once, on a database that does not exist yet.
        await asyncio.gather(*(apply_migrations(spec) for _ in range(4)))
        async with TortoiseContext() as context:
            await context.init(config=spec.tortoise_config())
            connection = context.connections.get("nft")
            _, rows = await connection.execute_query("SELECT name FROM tortoise_migrations")
            _, tables = await connection.execute_query("SELECT COUNT(*) AS n FROM nft")
    assert sorted(dict(row)["name"] for row in rows) == MIGRATIONS
    assert dict(tables[0])["n"] == 0
