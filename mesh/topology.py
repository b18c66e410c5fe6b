"""Reads mesh/mesh.yaml into typed specs, and lays out the ports of running instances."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any, Literal

import yaml

MESH_FILE = Path(__file__).with_name("mesh.yaml")
Protocol = Literal["http", "grpc"]
LbPolicy = Literal["round_robin", "least_request"]
HOST = "127.0.0.1"


def cluster_name(service: str, protocol: Protocol) -> str:
    """The Envoy cluster (and EDS resource) of a service's REST or gRPC API."""
    return service if protocol == "http" else f"{service}_grpc"


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    api_prefix: str
    instances: int
    lb_policy: LbPolicy
    rest_timeout_seconds: float
    grpc_services: tuple[str, ...] = ()
    depends_on: Mapping[str, Protocol] = field(default_factory=dict)

    @property
    def env_prefix(self) -> str:
        return f"{self.name.upper()}_"

    @property
    def has_grpc(self) -> bool:
        return bool(self.grpc_services)


@dataclass(frozen=True)
class RegistrySpec:
    module: str
    http_port: int
    xds_port: int


@dataclass(frozen=True)
class EdgeSpec:
    port: int
    admin_port: int


@dataclass(frozen=True)
class InstancePorts:
    """Where one instance listens. The app binds loopback only; peers and the edge reach it
    through its sidecar's inbound port (HTTP/1.1 and HTTP/2 on one port)."""

    app_http: int
    app_grpc: int | None
    inbound: int
    admin: int
    egress: Mapping[str, int]  # dependency name -> local egress listener port

    @classmethod
    def allocate(cls, spec: ServiceSpec, next_port: Callable[[], int]) -> InstancePorts:
        return cls(
            app_http=next_port(),
            app_grpc=next_port() if spec.has_grpc else None,
            inbound=next_port(),
            admin=next_port(),
            egress={dependency: next_port() for dependency in spec.depends_on},
        )


@dataclass(frozen=True)
class Instance:
    service: ServiceSpec
    id: str  # unique in the mesh: <service>-<n>
    ports: InstancePorts

    @property
    def inbound_address(self) -> str:
        return f"{HOST}:{self.ports.inbound}"


@dataclass(frozen=True)
class Topology:
    registry: RegistrySpec
    edge: EdgeSpec
    services: Mapping[str, ServiceSpec]

    def start_order(self) -> list[ServiceSpec]:
        """Dependencies before their dependants."""
        graph = {name: set(spec.depends_on) for name, spec in self.services.items()}
        return [self.services[name] for name in TopologicalSorter(graph).static_order()]

    def clusters(self) -> dict[str, tuple[ServiceSpec, Protocol]]:
        """Every upstream cluster in the mesh: REST for each service, gRPC where it has some."""
        clusters: dict[str, tuple[ServiceSpec, Protocol]] = {}
        for spec in self.services.values():
            clusters[cluster_name(spec.name, "http")] = (spec, "http")
            if spec.has_grpc:
                clusters[cluster_name(spec.name, "grpc")] = (spec, "grpc")
        return clusters

    def only(self, names: set[str]) -> Topology:
        """The named services and everything they depend on."""
        wanted: set[str] = set()
        pending = list(names)
        while pending:
            name = pending.pop()
            if name not in wanted:
                wanted.add(name)
                pending.extend(self.services[name].depends_on)
        services = {n: s for n, s in self.services.items() if n in wanted}
        return Topology(self.registry, self.edge, services)


def _service(name: str, entry: Mapping[str, Any], defaults: Mapping[str, Any]) -> ServiceSpec:
    merged = {**defaults, **entry}
    return ServiceSpec(
        name=name,
        module=merged["module"],
        api_prefix=merged["api_prefix"],
        instances=int(merged["instances"]),
        lb_policy=merged["lb_policy"],
        rest_timeout_seconds=float(merged["rest_timeout_seconds"]),
        grpc_services=tuple(merged.get("grpc_services") or ()),
        depends_on=dict(merged.get("depends_on") or {}),
    )


def load_topology(path: Path = MESH_FILE) -> Topology:
    raw = yaml.safe_load(path.read_text())
    defaults = raw.get("defaults", {})
    services = {name: _service(name, entry, defaults) for name, entry in raw["services"].items()}
    for spec in services.values():
        if spec.lb_policy not in ("round_robin", "least_request"):
            raise ValueError(f"{spec.name}: unknown lb_policy {spec.lb_policy!r}")
        for dependency, protocol in spec.depends_on.items():
            if dependency not in services:
                raise ValueError(f"{spec.name} depends on unknown service {dependency!r}")
            if protocol == "grpc" and not services[dependency].has_grpc:
                raise ValueError(f"{spec.name} calls {dependency} over gRPC; it serves none")
    return Topology(
        registry=RegistrySpec(**raw["registry"]),
        edge=EdgeSpec(**raw["edge"]),
        services=services,
    )
