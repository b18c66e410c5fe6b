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
class IdentitySpec:
    """Who issues access tokens. The edge and every service verify them against the JWKS the
    identity service publishes at `jwks_path` (under its own REST API)."""

    service: str
    issuer: str
    audience: str
    jwks_path: str
    jwks_cache_seconds: float


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
    # Peers called only while serving, never needed to start: they do not order start-up, so
    # two services may call each other (nft asks user whether a receiver exists; user asks
    # nft for a user's NFTs).
    calls: Mapping[str, Protocol] = field(default_factory=dict)
    identity: IdentitySpec | None = None  # the mesh's token issuer, when it has one

    @property
    def env_prefix(self) -> str:
        return f"{self.name.upper()}_"

    @property
    def has_grpc(self) -> bool:
        return bool(self.grpc_services)

    @property
    def fetches_jwks(self) -> bool:
        """Every service but the issuer itself reads the issuer's JWKS (through its sidecar)."""
        return self.identity is not None and self.identity.service != self.name

    @property
    def peers(self) -> dict[str, Protocol]:
        """The peers the app is told about (`<PEER>_ADDR`): dependencies and serving-time calls."""
        return {**self.calls, **self.depends_on}

    @property
    def egress(self) -> dict[str, Protocol]:
        """Every peer this service calls through its own sidecar: its peers, plus the identity
        service's REST API for the JWKS. Only `depends_on` orders start-up: the JWKS is fetched
        lazily, like `calls`."""
        calls = self.peers
        if self.identity is not None and self.identity.service != self.name:
            calls.setdefault(self.identity.service, "http")
        return calls


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
    egress: Mapping[str, int]  # peer name (a dependency, the identity service) -> egress port
    control: int  # egress to the registry (the app's REGISTRY_ADDR)

    @classmethod
    def allocate(cls, spec: ServiceSpec, next_port: Callable[[], int]) -> InstancePorts:
        return cls(
            app_http=next_port(),
            app_grpc=next_port() if spec.has_grpc else None,
            inbound=next_port(),
            admin=next_port(),
            egress={peer: next_port() for peer in spec.egress},
            control=next_port(),
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
    identity: IdentitySpec | None = None

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
        """The named services and every peer they call, transitively, and always the identity
        service (with its peers): no token can be checked without it."""
        wanted: set[str] = set()
        pending = list(names)
        if self.identity is not None:
            pending.append(self.identity.service)
        while pending:
            name = pending.pop()
            if name not in wanted:
                wanted.add(name)
                pending.extend(self.services[name].peers)
        services = {n: s for n, s in self.services.items() if n in wanted}
        return Topology(self.registry, self.edge, services, self.identity)


def _service(
    name: str,
    entry: Mapping[str, Any],
    defaults: Mapping[str, Any],
    identity: IdentitySpec | None,
) -> ServiceSpec:
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
        calls=dict(merged.get("calls") or {}),
        identity=identity,
    )


def _identity(entry: Mapping[str, Any] | None) -> IdentitySpec | None:
    if entry is None:
        return None
    identity = IdentitySpec(
        service=str(entry["service"]),
        issuer=str(entry["issuer"]),
        audience=str(entry["audience"]),
        jwks_path=str(entry["jwks_path"]),
        jwks_cache_seconds=float(entry["jwks_cache_seconds"]),
    )
    if not (identity.issuer and identity.audience):
        raise ValueError("identity: issuer and audience must not be empty")
    if not identity.jwks_path.startswith("/") or any(c in identity.jwks_path for c in "?# "):
        raise ValueError(f"identity: jwks_path is not a plain absolute path: {identity.jwks_path}")
    if identity.jwks_cache_seconds <= 0:
        raise ValueError("identity: jwks_cache_seconds must be positive")
    return identity


def load_topology(path: Path = MESH_FILE) -> Topology:
    raw = yaml.safe_load(path.read_text())
    defaults = raw.get("defaults", {})
    identity = _identity(raw.get("identity"))
    services = {
        name: _service(name, entry, defaults, identity) for name, entry in raw["services"].items()
    }
    if identity is not None and identity.service not in services:
        raise ValueError(f"identity: unknown service {identity.service!r}")
    for spec in services.values():
        if spec.lb_policy not in ("round_robin", "least_request"):
            raise ValueError(f"{spec.name}: unknown lb_policy {spec.lb_policy!r}")
        if overlap := set(spec.depends_on) & set(spec.calls):
            raise ValueError(f"{spec.name}: {sorted(overlap)} in both depends_on and calls")
        for dependency, protocol in spec.peers.items():
            if dependency not in services:
                raise ValueError(f"{spec.name} depends on unknown service {dependency!r}")
            if protocol == "grpc" and not services[dependency].has_grpc:
                raise ValueError(f"{spec.name} calls {dependency} over gRPC; it serves none")
            if identity is not None and dependency == identity.service and protocol != "http":
                # One egress per peer: the JWKS needs the identity service's REST API.
                raise ValueError(f"{spec.name} must call {dependency} (identity) over http")
    return Topology(
        registry=RegistrySpec(**raw["registry"]),
        edge=EdgeSpec(**raw["edge"]),
        services=services,
        identity=identity,
    )
