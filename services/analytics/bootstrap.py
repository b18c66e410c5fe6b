"""The analytics service's composition root: the only place that builds its parts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from connexion import AsyncApp

from services.analytics.adapters.repository import TortoiseTickRepository
from services.analytics.config import AnalyticsSettings
from services.analytics.domain.errors import NoMarketData
from services.analytics.entrypoints.grpc_server import start_grpc_endpoint
from services.analytics.entrypoints.rest import AnalyticsHandlers
from services.analytics.service_layer.ports import TickRepository
from services.analytics.service_layer.use_cases import AnalyticsDeps
from services.common.database import (
    DatabaseSpec,
    apply_migrations,
    close_database,
    database_answers,
    database_url,
    open_database,
)
from services.common.rest_app import RestAppSpec, build_rest_app

SERVICE = "analytics"
ERROR_STATUSES = {NoMarketData: 404}


def database_spec(settings: AnalyticsSettings) -> DatabaseSpec:
    return DatabaseSpec(
        name=SERVICE,
        url=database_url(SERVICE, settings.database_url, settings.data_dir),
        models_module="services.analytics.adapters.orm",
        migrations_module="services.analytics.migrations",
    )


def build_deps(
    ticks: TickRepository,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    new_id: Callable[[], UUID] = uuid.uuid4,
) -> AnalyticsDeps:
    return AnalyticsDeps(ticks=ticks, clock=clock, new_id=new_id)


def bootstrap(settings: AnalyticsSettings, deps: AnalyticsDeps | None = None) -> AsyncApp:
    """The analytics app: REST, with the gRPC endpoint running in its lifespan.
    Tests pass `deps` with fakes; by default it uses its own database."""
    database = database_spec(settings)
    use_real_database = deps is None
    deps = deps or build_deps(TortoiseTickRepository())

    async def ready() -> bool:
        return await database_answers(SERVICE) if use_real_database else True

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        if use_real_database:
            await apply_migrations(database)
            await open_database(database)
        try:
            grpc = await start_grpc_endpoint(
                deps, ready, host=settings.host, port=settings.grpc_port
            )
            try:
                yield
            finally:
                await grpc.stop(settings.grpc_shutdown_grace_seconds)
        finally:
            # Also when gRPC cannot start (port taken): an open SQLite pool can hang the exit.
            if use_real_database:
                await close_database()

    return build_rest_app(
        RestAppSpec(
            service=SERVICE,
            api_prefix="/api/analytics",
            handlers=AnalyticsHandlers(deps),
            lifespan=lifespan,
            ready=ready,
            error_statuses=ERROR_STATUSES,
            validate_responses=settings.validate_responses,
        )
    )
