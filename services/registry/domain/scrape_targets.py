"""Where Prometheus scrapes the mesh: every metrics page of every registered instance, and of
the control plane. Pure Python: what the registry knows, as targets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from services.common.metrics import ENVOY_METRICS_PATH, METRICS_PATH
from services.registry.domain.model import RegisteredInstance


class Source(StrEnum):
    APP = "app"  # the app's RED and domain metrics
    ENVOY = "envoy"  # its Envoy's statistics


PATHS = {Source.APP: METRICS_PATH, Source.ENVOY: ENVOY_METRICS_PATH}


@dataclass(frozen=True)
class ScrapeTarget:
    """One page to scrape: `source`'s metrics of `instance_id` (of `service`) at host:port."""

    service: str
    instance_id: str
    host: str
    port: int
    source: Source

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host  # IPv6
        return f"{host}:{self.port}"

    @property
    def metrics_path(self) -> str:
        return PATHS[self.source]


@dataclass(frozen=True)
class MetricsListener:
    """A control-plane workload's metrics listener, which the registry is told of: it does
    not register (the edge, the registry's own sidecar)."""

    service: str
    host: str
    port: int
    sources: tuple[Source, ...]

    def targets(self) -> list[ScrapeTarget]:
        return [
            ScrapeTarget(self.service, self.service, self.host, self.port, source)
            for source in self.sources
        ]


def instance_targets(instance: RegisteredInstance) -> list[ScrapeTarget]:
    """An instance's two pages, at its sidecar's metrics listener; none when it gave no port."""
    if instance.metrics_port is None:
        return []
    return [
        ScrapeTarget(instance.service, instance.id, instance.host, instance.metrics_port, source)
        for source in (Source.APP, Source.ENVOY)
    ]


def scrape_targets(
    instances: Iterable[RegisteredInstance], control_plane: Iterable[MetricsListener] = ()
) -> list[ScrapeTarget]:
    """The control plane's pages first, then every instance's, in the registry's order."""
    targets = [target for listener in control_plane for target in listener.targets()]
    return targets + [target for instance in instances for target in instance_targets(instance)]
