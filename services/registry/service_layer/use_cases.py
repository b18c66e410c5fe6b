"""One function per use case of the registry. Every change of who serves where is pushed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.registry.domain.model import RegisteredInstance, Registry, Status
from services.registry.domain.scrape_targets import MetricsListener, ScrapeTarget, scrape_targets

Endpoints = dict[str, list[tuple[str, int, Status]]]


class EndpointPublisher(Protocol):
    def publish(self, endpoints: Endpoints) -> None:
        """Make every Envoy route to exactly these endpoints (service -> addresses)."""
        ...


@dataclass
class RegistryDeps:
    registry: Registry
    publisher: EndpointPublisher
    clock: Callable[[], datetime]
    published: Endpoints | None = None
    control_plane: tuple[MetricsListener, ...] = ()  # metrics listeners that do not register

    def publish_if_changed(self) -> None:
        # A heartbeat that changes nothing pushes nothing: Envoys only hear about changes.
        endpoints = self.registry.endpoints()
        if endpoints != self.published:
            self.publisher.publish(endpoints)
            self.published = endpoints


def register_instance(
    deps: RegistryDeps,
    service: str,
    instance_id: str,
    *,
    host: str,
    port: int,
    status: Status,
    metrics_port: int | None = None,
) -> tuple[RegisteredInstance, bool]:
    registered = deps.registry.register(
        service, instance_id, host, port, status, deps.clock(), metrics_port
    )
    deps.publish_if_changed()
    return registered


def deregister_instance(deps: RegistryDeps, service: str, instance_id: str) -> None:
    deps.registry.deregister(service, instance_id)
    deps.publish_if_changed()


def expire_instances(deps: RegistryDeps) -> list[RegisteredInstance]:
    expired = deps.registry.expire(deps.clock())
    deps.publish_if_changed()
    return expired


def list_scrape_targets(deps: RegistryDeps) -> list[ScrapeTarget]:
    return scrape_targets(deps.registry.all_instances(), deps.control_plane)
