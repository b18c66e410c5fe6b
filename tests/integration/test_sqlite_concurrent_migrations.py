"""Instances starting together on one SQLite file migrate it once, not in a race (the launcher
starts every instance of a service at once)."""

import asyncio
import sqlite3
from pathlib import Path

import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE

from services.common.database import apply_migrations, service_database
from services.nft.config import NftSettings

pytestmark = pytest.mark.integration

MIGRATIONS = sorted(
    path.stem
    for path in (Path(__file__).resolve().parents[2] / "services/nft/migrations").glob("0*.py")
)


async def test_concurrent_start_ups_migrate_a_new_sqlite_file_once(tmp_path: Path) -> None:
    EXECUTOR_CACHE.clear()
    spec = service_database("nft", NftSettings(data_dir=tmp_path / "data"))
    # Four instances at once, on a file that does not exist yet: each takes its turn.
    await asyncio.gather(*(apply_migrations(spec) for _ in range(4)))
    with sqlite3.connect(tmp_path / "data" / "nft.sqlite3") as database:
        applied = [row[0] for row in database.execute("SELECT name FROM tortoise_migrations")]
        (nfts,) = database.execute("SELECT COUNT(*) FROM nft").fetchone()
    assert sorted(applied) == MIGRATIONS
    assert nfts == 0
    assert (tmp_path / "data" / "nft.sqlite3.migrate.lock").exists()
