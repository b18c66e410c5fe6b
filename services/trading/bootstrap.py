"""The trading service's composition root: the only place that builds its parts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from connexion import AsyncApp

from services.common.database import (
    DatabaseSpec,
    apply_migrations,
    close_database,
    database_answers,
    database_url,
    open_database,
)
from services.common.rest_app import RestAppSpec, build_rest_app
from services.trading.adapters.analytics_client import GrpcMarketDataSink, channel_to
from services.trading.adapters.repository import TortoiseTickRepository
from services.trading.config import TradingSettings
from services.trading.domain.errors import (
    AnalyticsBadResponse,
    AnalyticsRejected,
    AnalyticsTimeout,
    AnalyticsUnavailable,
    InvalidTick,
)
from services.trading.entrypoints.rest import TradingHandlers
from services.trading.service_layer.ports import MarketDataSink, TickRepository
from services.trading.service_layer.use_cases import TradingDeps

SERVICE = "trading"
ERROR_STATUSES = {
    InvalidTick: 400,
    AnalyticsRejected: 502,
    AnalyticsBadResponse: 502,
    AnalyticsUnavailable: 503,
    AnalyticsTimeout: 504,
}


def database_spec(settings: TradingSettings) -> DatabaseSpec:
    return DatabaseSpec(
        name=SERVICE,
        url=database_url(SERVICE, settings.database_url, settings.data_dir),
        models_module="services.trading.adapters.orm",
        migrations_module="services.trading.migrations",
    )


def build_deps(
    ticks: TickRepository,
    analytics: MarketDataSink,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    new_id: Callable[[], UUID] = uuid.uuid4,
) -> TradingDeps:
    return TradingDeps(ticks=ticks, analytics=analytics, clock=clock, new_id=new_id)


def bootstrap(settings: TradingSettings, deps: TradingDeps | None = None) -> AsyncApp:
    """The trading REST app. Tests pass `deps` with fakes; by default it uses its own
    database and forwards to analytics at ANALYTICS_ADDR."""
    database = database_spec(settings)
    use_real_adapters = deps is None
    sink = GrpcMarketDataSink(
        channel_to(*settings.analytics_endpoint), timeout=settings.analytics_timeout_seconds
    )
    deps = deps or build_deps(TortoiseTickRepository(), sink)

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        if use_real_adapters:
            await apply_migrations(database)
            await open_database(database)
            sink.open()
        try:
            yield
        finally:
            if use_real_adapters:
                sink.close()
                await close_database()

    async def ready() -> bool:
        # Only its own database: trading stays up (and answers 503s) while analytics is down.
        return await database_answers(SERVICE) if use_real_adapters else True

    return build_rest_app(
        RestAppSpec(
            service=SERVICE,
            api_prefix="/api/trading",
            handlers=TradingHandlers(deps),
            lifespan=lifespan,
            ready=ready,
            error_statuses=ERROR_STATUSES,
            validate_responses=settings.validate_responses,
        )
    )
