"""The analytics service's composition root: the only place that builds its parts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from uuid import UUID

from connexion import AsyncApp

from services.analytics.adapters.ingest_metrics import TickIngestCounter
from services.analytics.adapters.repository import TortoiseTickRepository
from services.analytics.config import AnalyticsSettings
from services.analytics.domain.errors import InvalidQuery, NoMarketData
from services.analytics.entrypoints.grpc_server import serving_grpc
from services.analytics.entrypoints.rest import AnalyticsHandlers
from services.analytics.service_layer.ports import TickRepository
from services.analytics.service_layer.use_cases import AnalyticsDeps
from services.common.database import readiness, service_database
from services.common.metrics import AppMetrics
from services.common.rest_app import RestAppSpec, build_rest_app
from services.common.time_ordered_ids import time_ordered_ids

SERVICE = "analytics"
ERROR_STATUSES = {NoMarketData: 404, InvalidQuery: 400}


def build_deps(
    ticks: TickRepository,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    new_id: Callable[[], UUID] | None = None,
) -> AnalyticsDeps:
    # Time-ordered ids by default: each tick's row lands at the end of the primary key's index.
    return AnalyticsDeps(ticks=ticks, clock=clock, new_id=new_id or time_ordered_ids())


# Who feeds market data in: trading's outbox, and clients through the edge (which checked
# their token's role). mesh.yaml's depends_on generates the same rule for the sidecar's RBAC
# (tests/unit/test_mesh_trust_config.py keeps the two alike).
INGEST_CALLERS = frozenset({"trading", "edge"})


def bootstrap(settings: AnalyticsSettings, deps: AnalyticsDeps | None = None) -> AsyncApp:
    """The analytics app: REST, with the gRPC endpoint running in its lifespan.
    Tests pass `deps` with fakes; by default it uses its own database."""
    database = service_database(SERVICE, settings) if deps is None else None
    metrics = AppMetrics(SERVICE)  # REST, gRPC and ticks ingested, served at /metrics together
    deps = replace(
        deps or build_deps(TortoiseTickRepository()), on_ingested=TickIngestCounter(metrics)
    )
    grpc_endpoint = partial(
        serving_grpc,
        deps,
        readiness(database),
        host=settings.host,
        port=settings.grpc_port,
        socket=settings.grpc_uds,
        grace_seconds=settings.grpc_shutdown_grace_seconds,
        callers=INGEST_CALLERS if settings.authenticate_callers else None,
        metrics=metrics if settings.metrics_enabled else None,
    )
    return build_rest_app(
        RestAppSpec(
            service=SERVICE,
            api_prefix="/api/analytics",
            handlers=AnalyticsHandlers(deps),
            database=database,
            settings=settings,
            resources=grpc_endpoint,
            error_statuses=ERROR_STATUSES,
            metrics=metrics,
        )
    )
