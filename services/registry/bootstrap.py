"""The registry's composition root: REST API, xDS control plane and expiry, in one process."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from connexion import AsyncApp

from services.common.addresses import split_address
from services.common.metrics import AppMetrics
from services.common.rest_app import RestAppSpec, build_rest_app
from services.common.workload_identity import EDGE
from services.registry.adapters.registry_metrics import RegistryMetrics
from services.registry.adapters.xds import XdsServer
from services.registry.adapters.xds_publisher import XdsPublisher
from services.registry.config import RegistrySettings
from services.registry.domain.errors import InstanceNotFound, ServiceNotFound
from services.registry.domain.model import Registry
from services.registry.domain.scrape_targets import MetricsListener, Source
from services.registry.entrypoints.expiry import expiring
from services.registry.entrypoints.rest import RegistryHandlers
from services.registry.service_layer.use_cases import EndpointPublisher, RegistryDeps

SERVICE = "registry"
ERROR_STATUSES = {ServiceNotFound: 404, InstanceNotFound: 404}
log = logging.getLogger(__name__)


def build_deps(
    settings: RegistrySettings,
    publisher: EndpointPublisher,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> RegistryDeps:
    registry = Registry(ttl=timedelta(seconds=settings.instance_ttl_seconds))
    return RegistryDeps(
        registry=registry,
        publisher=publisher,
        clock=clock,
        control_plane=control_plane_listeners(settings),
    )


def control_plane_listeners(settings: RegistrySettings) -> tuple[MetricsListener, ...]:
    """The metrics listeners the registry is told of: its own sidecar's, the edge's."""
    listeners = []
    if settings.metrics_listener:
        host, port = split_address(settings.metrics_listener)
        listeners.append(MetricsListener(SERVICE, host, port, (Source.APP, Source.ENVOY)))
    if settings.edge_metrics_listener:
        host, port = split_address(settings.edge_metrics_listener)
        listeners.append(MetricsListener(EDGE, host, port, (Source.ENVOY,)))
    return tuple(listeners)


def bootstrap(settings: RegistrySettings, deps: RegistryDeps | None = None) -> AsyncApp:
    """The registry app. Tests pass `deps` with a fake publisher; by default it serves xDS."""
    metrics = AppMetrics(SERVICE)  # REST, and the control plane's own (registry_metrics)
    observed = RegistryMetrics(metrics)
    xds = XdsServer(
        warmup_seconds=settings.xds_warmup_seconds,
        authenticate_callers=settings.authenticate_callers,
        observer=observed,
    )
    deps = deps or build_deps(settings, XdsPublisher(xds))
    observed.watch(deps.registry, lambda: xds.connected_streams)

    @asynccontextmanager
    async def control_plane() -> AsyncIterator[None]:
        # State lives in memory and is rebuilt by heartbeats; nothing to load at start.
        await xds.start(settings.host, settings.xds_port, path=settings.xds_uds)
        try:
            async with expiring(deps, settings.expiry_interval_seconds, observed.expired):
                yield
        finally:
            await xds.stop()

    return build_rest_app(
        RestAppSpec(
            service=SERVICE,
            api_prefix="/api/registry",
            handlers=RegistryHandlers(deps, authenticate_callers=settings.authenticate_callers),
            database=None,
            settings=settings,
            resources=control_plane,
            error_statuses=ERROR_STATUSES,
            metrics=metrics,
        )
    )
