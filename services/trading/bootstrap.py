"""The trading service's composition root: the only place that builds its parts."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import nullcontext
from datetime import UTC, datetime
from uuid import UUID

from connexion import AsyncApp

from services.common.auth import bearer_info
from services.common.database import service_database
from services.common.jwks import jwks_token_verifier
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
    real = deps is None
    sink = GrpcMarketDataSink(
        channel_to(*settings.analytics_endpoint), timeout=settings.analytics_timeout_seconds
    )
    return build_rest_app(
        RestAppSpec(
            service=SERVICE,
            api_prefix="/api/trading",
            handlers=TradingHandlers(deps or build_deps(TortoiseTickRepository(), sink)),
            # Readiness is its own database only: trading stays up (answering 503s) while
            # analytics is down.
            database=service_database(SERVICE, settings) if real else None,
            resources=sink.connected if real else nullcontext,
            error_statuses=ERROR_STATUSES,
            verify_token=bearer_info(jwks_token_verifier(settings)),
            validate_responses=settings.validate_responses,
            idempotency_ttl_seconds=settings.idempotency_ttl_seconds,
        )
    )
