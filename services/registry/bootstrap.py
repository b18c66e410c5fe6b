"""The registry's composition root: REST API, xDS control plane and expiry, in one process."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from connexion import AsyncApp

from services.common.rest_app import RestAppSpec, build_rest_app
from services.registry.adapters.xds import XdsServer
from services.registry.adapters.xds_publisher import XdsPublisher
from services.registry.config import RegistrySettings
from services.registry.domain.errors import InstanceNotFound, ServiceNotFound
from services.registry.domain.model import Registry
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
    return RegistryDeps(registry=registry, publisher=publisher, clock=clock)


def bootstrap(settings: RegistrySettings, deps: RegistryDeps | None = None) -> AsyncApp:
    """The registry app. Tests pass `deps` with a fake publisher; by default it serves xDS."""
    xds = XdsServer(
        warmup_seconds=settings.xds_warmup_seconds,
        authenticate_callers=settings.authenticate_callers,
    )
    deps = deps or build_deps(settings, XdsPublisher(xds))

    @asynccontextmanager
    async def control_plane() -> AsyncIterator[None]:
        # State lives in memory and is rebuilt by heartbeats; nothing to load at start.
        await xds.start(settings.host, settings.xds_port, path=settings.xds_uds)
        try:
            async with expiring(deps, settings.expiry_interval_seconds):
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
        )
    )
