"""The control plane's own figures, in the registry app's metrics (served at /metrics, scraped
through its sidecar's metrics listener):

- `capsure_registry_instances{service, status}`: registered instances, read at each scrape;
- `capsure_registry_heartbeats_missed_total{service}`: instances dropped because no heartbeat
  came within their TTL (a crash, a hang, a partition);
- `capsure_registry_xds_streams`: Envoys subscribed (ADS streams open);
- `capsure_registry_xds_pushes_total` and `capsure_registry_xds_push_latency_seconds`: EDS
  responses sent, and the time from the change of who serves where to its push to each Envoy;
- `capsure_registry_xds_rejections_total`: pushes an Envoy refused (NACKs)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.common.metrics import AppMetrics
from services.registry.domain.model import RegisteredInstance, Registry, Status

# A push goes out within a millisecond of a change; a slow Envoy's stream backs up for longer.
PUSH_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2.5)


class _InstancesCollector(Collector):
    """Instances by service and status, as the registry holds them at the scrape."""

    def __init__(self, registry: Registry, streams: Callable[[], int]) -> None:
        self._registry, self._streams = registry, streams

    def collect(self) -> Iterator[GaugeMetricFamily]:
        instances = GaugeMetricFamily(
            "capsure_registry_instances",
            "Registered instances, by service and status.",
            labels=("service", "status"),
        )
        for name in self._registry.service_names():
            members = self._registry.service(name)
            for status in Status:
                count = sum(1 for i in members if i.status is status)
                instances.add_metric((name, status.value), count)
        yield instances
        yield GaugeMetricFamily(
            "capsure_registry_xds_streams", "Envoys subscribed (ADS streams).", self._streams()
        )


class RegistryMetrics:
    """The registry's observers (expiry, xDS), writing to the app's metrics registry."""

    def __init__(self, metrics: AppMetrics) -> None:
        self._metrics = metrics
        self._missed = Counter(
            "capsure_registry_heartbeats_missed",
            "Instances dropped because no heartbeat came within their TTL.",
            ("service",),
            registry=metrics.registry,
        )
        self._pushes = Counter(
            "capsure_registry_xds_pushes",
            "EDS responses sent to Envoys.",
            registry=metrics.registry,
        )
        self._push_latency = Histogram(
            "capsure_registry_xds_push_latency_seconds",
            "From a change of who serves where to its push to an Envoy.",
            buckets=PUSH_BUCKETS,
            registry=metrics.registry,
        )
        self._rejections = Counter(
            "capsure_registry_xds_rejections",
            "EDS responses an Envoy refused (NACK).",
            registry=metrics.registry,
        )

    def watch(self, registry: Registry, streams: Callable[[], int]) -> None:
        """Read `registry`'s instances and the count of `streams` at every scrape."""
        self._metrics.registry.register(_InstancesCollector(registry, streams))

    def expired(self, instance: RegisteredInstance) -> None:
        self._missed.labels(instance.service).inc()

    def pushed(self, latency_seconds: float | None) -> None:
        """One response sent; its latency when a change (not a new subscription) caused it."""
        self._pushes.inc()
        if latency_seconds is not None:
            self._push_latency.observe(latency_seconds)

    def rejected(self) -> None:
        self._rejections.inc()
