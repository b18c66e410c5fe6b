"""One Tortoise ORM database per service: SQLite file by default, PostgreSQL when configured.

Start-up order is: ensure the database exists -> apply migrations -> open the ORM -> serve.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate

from services.common.migration_lock import migration_lock

if TYPE_CHECKING:
    from services.common.settings import ServiceSettings

POSTGRES_SCHEMES = ("postgres://", "postgresql://", "asyncpg://")
# Acknowledged writes survive power loss (FULL); a writer waits for a lock instead of failing.
SQLITE_PRAGMAS = "journal_mode=WAL&synchronous=FULL&busy_timeout=5000&foreign_keys=ON"
# What a request meets while the database is away: the connection refused or reset (the OS;
# Tortoise's DBConnectionError is a ConnectionError too), lost mid-query (class 08), or the
# server shutting down, crashed or still recovering (57P01-57P03), or full. Not the request's
# fault and over once the database is back: a 503 to retry, not an "unexpected" 500.
DATABASE_UNAVAILABLE: tuple[type[BaseException], ...] = (
    ConnectionError,
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)


@dataclass(frozen=True)
class DatabaseSpec:
    """Which database a service uses and where its models and migrations live."""

    name: str  # connection and app name; unique per service (Tortoise caches SQL by it)
    url: str
    models_module: str
    migrations_module: str

    def tortoise_config(self) -> dict[str, Any]:
        return {
            "connections": {self.name: self.url},
            "apps": {
                self.name: {
                    "models": [self.models_module],
                    "default_connection": self.name,
                    "migrations": self.migrations_module,
                }
            },
            "use_tz": True,
            "timezone": "UTC",
        }

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith(POSTGRES_SCHEMES)


def database_url(name: str, configured: str | None, data_dir: Path) -> str:
    """The configured URL, or a SQLite file `<data_dir>/<name>.sqlite3` with durable pragmas."""
    if configured:
        return configured
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite://{data_dir.resolve() / f'{name}.sqlite3'}?{SQLITE_PRAGMAS}"


def service_database(service: str, settings: ServiceSettings) -> DatabaseSpec:
    """A service's own database: `services/<service>/adapters/orm.py` models, migrations in
    `services/<service>/migrations`, URL from `<SERVICE>_DATABASE_URL` or its SQLite file."""
    return DatabaseSpec(
        name=service,
        url=database_url(service, settings.database_url, settings.data_dir),
        models_module=f"services.{service}.adapters.orm",
        migrations_module=f"services.{service}.migrations",
    )


async def ensure_postgres_database(url: str) -> bool:
    """Create the PostgreSQL database named in `url` if missing; True when it was created."""
    credentials = expand_db_url(url)["credentials"]
    name = credentials["database"]
    connection = await asyncpg.connect(
        host=credentials["host"],
        port=int(credentials["port"]),
        user=credentials["user"],
        password=credentials.get("password"),
        database="postgres",
        timeout=5,
    )
    try:
        if await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return False
        try:
            await connection.execute('CREATE DATABASE "{}"'.format(name.replace('"', '""')))
        except (asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
            # Another instance created it between our check and our CREATE (the catalog's
            # unique index reports that race as a UniqueViolation).
            return False
        return True
    finally:
        await connection.close()


async def apply_migrations(spec: DatabaseSpec) -> None:
    """Bring the schema up to date. Idempotent; runs in its own context so it cannot
    disturb an ORM already open in this task. Instances starting together take turns
    (`migration_lock`), so the launcher can start every instance of a service at once."""
    if spec.is_postgres:
        await ensure_postgres_database(spec.url)
    async with migration_lock(spec.url, spec.name), TortoiseContext():
        await migrate(config=spec.tortoise_config())


async def open_database(spec: DatabaseSpec) -> None:
    """Open the ORM for the whole process: request tasks see it through the global fallback."""
    await Tortoise.init(config=spec.tortoise_config(), _enable_global_fallback=True)


async def close_database() -> None:
    await Tortoise.close_connections()


def database_unavailable(error: BaseException) -> bool:
    """Whether `error`, or an error it was raised from or while handling, says the database
    cannot be reached now. The chain matters: a transaction's rollback on a lost connection
    raises its own InterfaceError ("the underlying connection is closed") over the loss."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, DATABASE_UNAVAILABLE) or _sqlite_busy(cause):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def _sqlite_busy(error: BaseException) -> bool:
    """SQLite's lock held past the busy timeout (a sibling instance inside a long write, or
    frozen in one): the database is busy, not broken — a 503 to retry, not a 500."""
    return isinstance(error, sqlite3.OperationalError) and "locked" in str(error)


# A database that cannot say SELECT 1 within this is not ready (a 503, NOT_SERVING over gRPC).
# Deliberately above the mesh's health check timeout (mesh/envoy/policies.HEALTH_TIMEOUT,
# 0.5 s; a test keeps it so): Envoy stops waiting first and counts a timeout, which its
# UNHEALTHY_THRESHOLD forgives once, where a 503 takes the instance out at once (Envoy ignores
# the threshold for an unexpected status) for one slow ping. This bound is for the others who
# ask: the registrar's heartbeat (2 s), the launcher waiting for readiness. Liveness: /livez.
READINESS_TIMEOUT_SECONDS = 1.0


async def database_answers(name: str) -> bool:
    """Readiness probe: a trivial query on the service's connection, bounded in time."""
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS):
            await Tortoise.get_connection(name).execute_query("SELECT 1")
    except Exception:  # any failure means "not ready"; the probe must never raise
        return False
    return True


@asynccontextmanager
async def serving_database(spec: DatabaseSpec | None) -> AsyncIterator[None]:
    """Migrate, open for the process, close at the end. None (tests on fakes): nothing to do."""
    if spec is None:
        yield
        return
    await apply_migrations(spec)
    await open_database(spec)
    try:
        yield
    finally:
        await close_database()


def readiness(spec: DatabaseSpec | None) -> Callable[[], Awaitable[bool]]:
    """The /healthz probe: ready when the service's own database answers (always, on fakes)."""

    async def ready() -> bool:
        return spec is None or await database_answers(spec.name)

    return ready
