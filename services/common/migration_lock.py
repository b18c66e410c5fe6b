"""Instances of one service starting together take turns at migrating its database: Tortoise's
migrator does not serialise itself. PostgreSQL: a session advisory lock per service database.
SQLite: an exclusive flock on a file beside the database (released when the file closes, so a
crashed instance never leaves it held)."""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from tortoise.backends.base.config_generator import expand_db_url

IN_MEMORY = ":memory:"


@asynccontextmanager
async def migration_lock(url: str, name: str) -> AsyncIterator[None]:
    """Held while the database at `url` (service `name`) is migrated."""
    credentials = expand_db_url(url)["credentials"]
    if "file_path" in credentials:
        async with _file_lock(credentials["file_path"]):
            yield
        return
    async with _advisory_lock(credentials, name):
        yield


@asynccontextmanager
async def _file_lock(database_file: str) -> AsyncIterator[None]:
    if database_file == IN_MEMORY:  # nobody to share it with
        yield
        return
    lock_path = Path(f"{database_file}.migrate.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        # A blocking flock in a thread: the event loop stays free while a sibling migrates.
        await asyncio.to_thread(fcntl.flock, descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


@asynccontextmanager
async def _advisory_lock(credentials: dict, name: str) -> AsyncIterator[None]:
    connection = await asyncpg.connect(
        host=credentials["host"],
        port=int(credentials["port"]),
        user=credentials["user"],
        password=credentials.get("password"),
        database=credentials["database"],
        timeout=5,
    )
    try:
        # One lock id per service database; released with the session at the latest.
        await connection.execute("SELECT pg_advisory_lock(hashtext($1))", f"migrate:{name}")
        yield
    finally:
        await connection.close()
