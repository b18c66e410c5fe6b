"""The format of mesh/mesh.yaml as typed models: every key known, every value checked, the
cross-references consistent. A typo is an error naming its line, never a silent default
(`htp` used to mean gRPC: anything but "http" did).

Strict types: YAML already says what a value is, so `"8080"` for a port is a mistake, not a
number. Defaults are merged by `mesh.topology.load_topology`, which builds the runtime specs."""

from __future__ import annotations

import re
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from mesh.located_yaml import Invalid, read_yaml

Protocol = Literal["http", "grpc"]
LbPolicy = Literal["round_robin", "least_request"]


def _shaped(pattern: str, shape: str) -> AfterValidator:
    """A string check whose error says what is expected rather than quoting the regex."""
    compiled = re.compile(pattern)

    def check(text: str) -> str:
        if not compiled.fullmatch(text):
            raise ValueError(f"must be {shape}")
        return text

    return AfterValidator(check)


# One name everywhere: folder, env prefix (NFT_), registry key, Envoy cluster, compose service,
# and the SPIFFE ID's last segment (services.common.workload_identity.SERVICE_NAME: at most 63).
ServiceName = Annotated[
    str,
    _shaped(
        r"[a-z][a-z0-9_]{0,62}",
        "lower-case letters, digits and _, from a letter, at most 63 characters",
    ),
]
DOTTED = r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*"
PythonModule = Annotated[str, _shaped(DOTTED, "a dotted Python module name")]
GrpcServiceName = Annotated[str, _shaped(DOTTED, "a fully qualified gRPC service name")]
RoleName = Annotated[str, _shaped(r"[A-Za-z][A-Za-z0-9_-]*", "a role name (letters, digits, _-)")]
# The edge routes and checks tokens by this prefix: literal segments, no trailing slash.
ApiPrefix = Annotated[
    str, _shaped(r"(/[A-Za-z0-9._~-]+)+", "an absolute path of literal segments, no trailing /")
]
Port = Annotated[int, Field(ge=1, le=65535)]
# A slip of a digit (20 for 2) should not start dozens of processes on a laptop.
InstanceCount = Annotated[int, Field(ge=1, le=32)]
Seconds = Annotated[float, Field(gt=0, le=3600)]
Peers = dict[str, Protocol]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class RegistryFile(Strict):
    module: PythonModule
    http_port: Port
    xds_port: Port


class EdgeFile(Strict):
    port: Port
    admin_port: Port


class IdentityFile(Strict):
    service: ServiceName
    issuer: Annotated[str, StringConstraints(min_length=1)]
    audience: Annotated[str, StringConstraints(min_length=1)]
    jwks_path: str
    jwks_cache_seconds: Seconds

    @field_validator("jwks_path")
    @classmethod
    def _plain_absolute_path(cls, path: str) -> str:
        if not path.startswith("/") or any(c in path for c in "?# "):
            raise ValueError("must be a plain absolute path (no query, fragment or space)")
        return path


class DefaultsFile(Strict):
    """What a service that does not say otherwise gets."""

    instances: InstanceCount | None = None
    lb_policy: LbPolicy | None = None
    rest_timeout_seconds: Seconds | None = None


class ServiceFile(Strict):
    module: PythonModule
    api_prefix: ApiPrefix
    instances: InstanceCount | None = None  # None: the defaults'
    lb_policy: LbPolicy | None = None
    rest_timeout_seconds: Seconds | None = None
    # An empty YAML key (`depends_on:`) is null: read as none.
    grpc_services: list[GrpcServiceName] | None = None
    # At the edge, a token with one of these roles for its gRPC services (as `x-roles` does for
    # a REST operation); none: any client (the seed's anonymous client).
    grpc_roles: list[RoleName] | None = None
    depends_on: Peers | None = None  # peers it needs to start: they start first
    calls: Peers | None = None  # peers called only while serving

    @model_validator(mode="after")
    def _roles_for_grpc(self) -> ServiceFile:
        if self.grpc_roles and not self.grpc_services:
            raise Invalid(("grpc_roles",), "grpc_roles needs grpc_services to apply to")
        return self

    @model_validator(mode="after")
    def _each_peer_once(self) -> ServiceFile:
        for peer in self.calls or {}:
            if peer in (self.depends_on or {}):
                raise Invalid(("calls", peer), f"{peer!r} is in both depends_on and calls")
        return self


class MeshFile(Strict):
    registry: RegistryFile
    edge: EdgeFile
    identity: IdentityFile | None = None
    defaults: DefaultsFile = DefaultsFile()
    services: Annotated[dict[ServiceName, ServiceFile], Field(min_length=1)]

    @model_validator(mode="after")
    def _consistent(self) -> MeshFile:
        self._distinct_ports()
        for name, service in self.services.items():
            self._defaults_cover(name, service)
            for kind in ("depends_on", "calls"):
                for peer, protocol in (getattr(service, kind) or {}).items():
                    self._callable(name, ("services", name, kind, peer), peer, protocol)
        self._identity_served()
        self._roles_checked_by_someone()
        self._distinct_routes()
        self._start_order_acyclic()
        return self

    def _distinct_ports(self) -> None:
        ports = {
            ("registry", "http_port"): self.registry.http_port,
            ("registry", "xds_port"): self.registry.xds_port,
            ("edge", "port"): self.edge.port,
            ("edge", "admin_port"): self.edge.admin_port,
        }
        seen: dict[int, tuple[str, str]] = {}
        for at, port in ports.items():
            if port in seen:
                raise Invalid(at, f"port {port} is taken by {'.'.join(seen[port])}")
            seen[port] = at

    def _defaults_cover(self, name: str, service: ServiceFile) -> None:
        for key in DefaultsFile.model_fields:
            if getattr(service, key) is None and getattr(self.defaults, key) is None:
                raise Invalid(("services", name), f"{key} is set neither here nor in defaults")

    def _callable(self, caller: str, at: tuple[str, ...], peer: str, protocol: Protocol) -> None:
        if peer == caller:
            raise Invalid(at, "a service does not call itself through the mesh")
        if peer not in self.services:
            raise Invalid(at, f"unknown service {peer!r} (services: {', '.join(self.services)})")
        if protocol == "grpc" and not self.services[peer].grpc_services:
            raise Invalid(at, f"{peer} serves no gRPC (it has no grpc_services): call it over http")
        if self.identity is not None and peer == self.identity.service and protocol != "http":
            # One egress per peer, and the JWKS needs the identity service's REST API.
            raise Invalid(at, f"{peer} is the identity service: call it over http")

    def _identity_served(self) -> None:
        if self.identity is not None and self.identity.service not in self.services:
            known = ", ".join(self.services)
            raise Invalid(
                ("identity", "service"),
                f"unknown service {self.identity.service!r} (services: {known})",
            )

    def _roles_checked_by_someone(self) -> None:
        for name, service in self.services.items():
            if service.grpc_roles and self.identity is None:
                message = "grpc_roles need an identity section: who issues the tokens?"
                raise Invalid(("services", name, "grpc_roles"), message)

    def _distinct_routes(self) -> None:
        """The edge routes by API prefix and gRPC service name: each leads to one service."""
        prefixes: dict[str, str] = {}
        grpc: dict[str, str] = {}
        for name, service in self.services.items():
            for prefix, other in prefixes.items():
                if _nested(prefix, service.api_prefix) or _nested(service.api_prefix, prefix):
                    message = f"overlaps {other}'s api_prefix {prefix}"
                    raise Invalid(("services", name, "api_prefix"), message)
            prefixes[service.api_prefix] = name
            for index, grpc_service in enumerate(service.grpc_services or ()):
                if grpc_service in grpc:
                    at = ("services", name, "grpc_services", index)
                    raise Invalid(at, f"{grpc_service} is served by {grpc[grpc_service]} already")
                grpc[grpc_service] = name

    def _start_order_acyclic(self) -> None:
        graph = {name: set(s.depends_on or {}) for name, s in self.services.items()}
        try:
            TopologicalSorter(graph).prepare()
        except CycleError as error:
            cycle = error.args[1]
            message = f"depends_on forms a cycle: {' -> '.join(reversed(cycle))}"
            raise Invalid(("services", cycle[0], "depends_on"), message) from None


def _nested(outer: str, inner: str) -> bool:
    """Whether every path under `inner` is under `outer` too (equal prefixes included)."""
    return f"{inner}/".startswith(f"{outer}/")


def read_mesh_file(path: Path) -> MeshFile:
    """mesh.yaml validated; a mesh.located_yaml.YamlFileError naming each problem's line."""
    return read_yaml(path).validate(MeshFile)
