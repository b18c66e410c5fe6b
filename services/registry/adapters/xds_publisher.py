"""Publishes the registry's endpoints to Envoys as EDS clusters.

Every service gets two clusters with the same endpoints, `<svc>` (REST over HTTP/1.1) and
`<svc>_grpc` (gRPC over HTTP/2): one sidecar inbound port speaks both, and an Envoy only
subscribes to the clusters it has. The names match mesh.topology.cluster_name."""

from __future__ import annotations

from services.registry.adapters.xds import Endpoint, XdsServer
from services.registry.domain.model import Status
from services.registry.service_layer.use_cases import Endpoints

HEALTH = {
    Status.SERVING: "HEALTHY",
    Status.NOT_SERVING: "UNHEALTHY",
    Status.DRAINING: "DRAINING",
}


def cluster_assignments(endpoints: Endpoints) -> dict[str, list[Endpoint]]:
    assignments: dict[str, list[Endpoint]] = {}
    for service, addresses in endpoints.items():
        members = [Endpoint(host, port, HEALTH[status]) for host, port, status in addresses]
        assignments[service] = members
        assignments[f"{service}_grpc"] = members
    return assignments


class XdsPublisher:
    def __init__(self, server: XdsServer) -> None:
        self._server = server

    def publish(self, endpoints: Endpoints) -> None:
        self._server.publish(cluster_assignments(endpoints))
