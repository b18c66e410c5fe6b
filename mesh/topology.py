"""The mesh as the rest of the code sees it, built from mesh/mesh.yaml once mesh.mesh_file has
validated it; and the ports of running instances."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from pathlib import Path, PurePath
from typing import TypeVar

from mesh.located_yaml import YamlFileError
from mesh.mesh_file import (
    DefaultsFile,
    IdentityFile,
    LbPolicy,
    Protocol,
    ServiceFile,
    read_mesh_file,
)

MESH_FILE = Path(__file__).with_name("mesh.yaml")
HOST = "127.0.0.1"
T = TypeVar("T")


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
    grpc_roles: tuple[str, ...] = ()  # at the edge, a token needs one of these roles
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


# Where a process of one instance listens on this host: a loopback TCP port, or a Unix socket
# (a file whose mode decides which local users may connect at all).
LocalAddress = int | PurePath


@dataclass(frozen=True)
class InstancePorts:
    """Where one instance listens. Peers and the edge reach it only through its sidecar's
    inbound port (mTLS; HTTP/1.1 and HTTP/2 on one port). Between the app and its sidecar
    (app, egress to peers, egress to the registry): Unix sockets only they can open under
    `make run` (`private`), loopback ports where the network namespace is already theirs
    alone (a compose pod) or where there is no sidecar (`allocate`)."""

    app_http: LocalAddress
    app_grpc: LocalAddress | None
    inbound: int
    admin: int
    egress: Mapping[str, LocalAddress]  # peer (a dependency, the identity service) -> egress
    control: LocalAddress  # egress to the registry (the app's REGISTRY_ADDR)
    metrics: int  # the sidecar's metrics listener: the app's and its own, for Prometheus

    @classmethod
    def allocate(cls, spec: ServiceSpec, next_port: Callable[[], int]) -> InstancePorts:
        return cls(
            app_http=next_port(),
            app_grpc=next_port() if spec.has_grpc else None,
            inbound=next_port(),
            admin=next_port(),
            egress={peer: next_port() for peer in spec.egress},
            control=next_port(),
            metrics=next_port(),
        )

    @classmethod
    def private(
        cls, spec: ServiceSpec, next_port: Callable[[], int], sockets: Path
    ) -> InstancePorts:
        """Inbound, admin and metrics ports; every app <-> sidecar address a socket in
        `sockets` (the instance's own 0700 directory)."""
        return cls(
            app_http=sockets / "app.sock",
            app_grpc=sockets / "app-grpc.sock" if spec.has_grpc else None,
            inbound=next_port(),
            admin=next_port(),
            egress={peer: sockets / f"egress-{peer}.sock" for peer in spec.egress},
            control=sockets / "egress-registry.sock",
            metrics=next_port(),
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


def load_topology(path: Path = MESH_FILE) -> Topology:
    """The mesh mesh.yaml describes; a ValueError (mesh.located_yaml.YamlFileError) naming the
    line of each problem when it is not a valid description."""
    mesh = read_mesh_file(path)
    identity = _identity(mesh.identity) if mesh.identity else None
    return Topology(
        registry=RegistrySpec(
            mesh.registry.module, mesh.registry.http_port, mesh.registry.xds_port
        ),
        edge=EdgeSpec(mesh.edge.port, mesh.edge.admin_port),
        services={
            name: _service(name, entry, mesh.defaults, identity)
            for name, entry in mesh.services.items()
        },
        identity=identity,
    )


def load_topology_or_exit(path: Path = MESH_FILE) -> Topology:
    """load_topology for a command: an invalid file ends it with the problems, no traceback."""
    try:
        return load_topology(path)
    except YamlFileError as error:
        raise SystemExit(f"{error}\n(mesh.yaml is not a valid mesh description)") from None


def _service(
    name: str, entry: ServiceFile, defaults: DefaultsFile, identity: IdentitySpec | None
) -> ServiceSpec:
    """The service's entry with what it leaves out taken from `defaults`."""
    return ServiceSpec(
        name=name,
        module=entry.module,
        api_prefix=entry.api_prefix,
        instances=_merged(entry.instances, defaults.instances),
        lb_policy=_merged(entry.lb_policy, defaults.lb_policy),
        rest_timeout_seconds=float(
            _merged(entry.rest_timeout_seconds, defaults.rest_timeout_seconds)
        ),
        grpc_services=tuple(entry.grpc_services or ()),
        grpc_roles=tuple(sorted(set(entry.grpc_roles or ()))),
        depends_on=dict(entry.depends_on or {}),
        calls=dict(entry.calls or {}),
        identity=identity,
    )


def _merged(value: T | None, default: T | None) -> T:
    """A service's own setting, else the default (MeshFile guarantees one of them is set)."""
    chosen = value if value is not None else default
    if chosen is None:
        raise ValueError("neither the service nor the defaults set it")
    return chosen


def _identity(entry: IdentityFile) -> IdentitySpec:
    return IdentitySpec(
        service=entry.service,
        issuer=entry.issuer,
        audience=entry.audience,
        jwks_path=entry.jwks_path,
        jwks_cache_seconds=float(entry.jwks_cache_seconds),
    )
