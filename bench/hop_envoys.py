"""The Envoys of one mesh hop, from the mesh's own generated configs, without a registry: a
caller's sidecar (user's: user asks nft for a user's NFTs) whose egress listener to nft is a
loopback port, and the callee's sidecar (nft's) in front of one app. The configs are
`sidecar_config`'s with a MeshTls (mutual TLS, RBAC on the callee's inbound, the caller's
identity in x-forwarded-client-cert: the hop as `make run` runs it) or without one
(plaintext); a `CallerVariant` changes only what it names. Identities are issued by a
NodeAgent of a fresh CA, as under `make run`. Also an Envoy that answers by itself (a
direct_response): the floor of any hop."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from mesh.envoy import sidecar_config
from mesh.envoy.bootstrap import bootstrap
from mesh.envoy.clusters import ControlPlane
from mesh.envoy.common import Config, upstream_protocol, without_control_plane
from mesh.envoy.listeners import http_listener
from mesh.envoy.rbac import RBAC
from mesh.envoy.routes import route_config
from mesh.envoy.sidecar import INBOUND
from mesh.envoy.tls import MeshTls
from mesh.identity.agent import NodeAgent, Workload
from mesh.identity.ca import LocalCertificateAuthority
from mesh.ports import free_port
from mesh.processes import EnvoyProcess, ManagedProcess, http_status, start_envoy, stop_together
from mesh.topology import HOST, Instance, InstancePorts, Topology, cluster_name, load_topology
from services.common.workload_identity import spiffe_id

CALLER, CALLEE = "user", "nft"
CALLEE_CLUSTER = cluster_name(CALLEE, "http")
ROUTED_WITHIN_SECONDS = 15.0  # the caller's first health check of the callee passes (1 s)


@dataclass(frozen=True)
class CallerVariant:
    """How one caller sidecar reaches the callee. The mesh's own hop is `secure` with no other
    change. `callee_checks` off leaves the mTLS transport alone (no RBAC on the callee's
    inbound, no x-forwarded-client-cert), to tell the TLS cost from the per-request checks'.
    `new_connection_per_request` measures what a hop connection costs (TCP, and the TLS
    handshake: resumed, or full without `session_resumption`)."""

    label: str
    secure: bool
    callee_checks: bool = True  # meaningful when secure
    new_connection_per_request: bool = False
    session_resumption: bool = True  # meaningful when secure

    @property
    def callee(self) -> tuple[bool, bool]:
        """Which callee sidecar serves it: (mTLS, with RBAC and XFCC)."""
        return self.secure, self.secure and self.callee_checks


@dataclass
class Hop:
    url: str  # the caller sidecar's egress listener to nft
    caller: EnvoyProcess
    callee: EnvoyProcess


def loopback_instance(
    topology: Topology, service: str, name: str, app: int | Path | None = None
) -> Instance:
    """An instance on loopback ports (InstancePorts.allocate: its egress listeners are ports
    a load generator can reach); `app`: where its app already listens (a port or a socket)."""
    spec = topology.services[service]
    ports = InstancePorts.allocate(spec, free_port)
    if app is not None:
        ports = replace(ports, app_http=app, app_grpc=None)
    return Instance(spec, name, ports)


def without_callee_checks(config: Config) -> Config:
    """The callee's inbound keeping its mTLS but neither RBAC nor x-forwarded-client-cert."""
    (inbound,) = (x for x in config["static_resources"]["listeners"] if x["name"] == INBOUND)
    (chain,) = inbound["filter_chains"]
    manager = chain["filters"][0]["typed_config"]
    manager["http_filters"] = [f for f in manager["http_filters"] if f["name"] != RBAC]
    for setting in ("forward_client_cert_details", "set_current_client_cert_details"):
        manager.pop(setting)
    return config


def _callee_cluster(config: Config) -> Config:
    (cluster,) = (c for c in config["static_resources"]["clusters"] if c["name"] == CALLEE_CLUSTER)
    return cluster


def caller_config(
    topology: Topology,
    instance: Instance,
    tls: MeshTls | None,
    variant: CallerVariant,
    callee_port: int,
    control_plane: ControlPlane,
) -> Config:
    config = sidecar_config(topology, instance, control_plane, tls=tls)
    config = without_control_plane(config, {CALLEE_CLUSTER: callee_port})
    cluster = _callee_cluster(config)
    if variant.new_connection_per_request:
        # The mesh cluster sets no common HTTP options: replacing them changes only this.
        cluster["typed_extension_protocol_options"] = upstream_protocol(
            "http", max_requests_per_connection=1
        )
    if tls is not None and not variant.session_resumption:
        # No client session cache: every new connection is a full handshake (certificates
        # sent, signed and verified both ways) instead of a resumed one.
        cluster["transport_socket"]["typed_config"]["max_session_keys"] = 0
    return config


class HopBuilder:
    """Starts callee and caller sidecars, stopped when `stack` closes; one CA and node agent
    issue every identity."""

    def __init__(self, workdir: Path, stack: ExitStack) -> None:
        self._workdir = workdir
        self._started: list[ManagedProcess] = []
        stack.callback(stop_together, self._started)  # their graceful stops overlap
        self._topology = load_topology()
        self._agent = NodeAgent(LocalCertificateAuthority.create(), workdir / "identity")
        # Every config is made static before it runs: the registry is never reached.
        self._control_plane = ControlPlane.nowhere()

    def _tls(self, workload: Workload) -> MeshTls:
        return MeshTls(self._agent.provision(workload))

    def _start(self, name: str, config: Config, admin_port: int) -> EnvoyProcess:
        process = start_envoy(name, config, admin_port, self._workdir, self._workdir / "log")
        self._started.append(process)
        return process

    def callee(
        self, secure: bool, checks: bool, app_port: int, name: str
    ) -> tuple[EnvoyProcess, int]:
        """nft's sidecar in front of the app on `app_port`: its process and inbound port."""
        instance = loopback_instance(self._topology, CALLEE, name, app_port)
        tls = self._tls(Workload(name, spiffe_id(CALLEE), (HOST,))) if secure else None
        config = sidecar_config(self._topology, instance, self._control_plane, tls=tls)
        config = without_control_plane(config, {})
        if secure and not checks:
            config = without_callee_checks(config)
        return self._start(name, config, instance.ports.admin), instance.ports.inbound

    def caller(
        self, variant: CallerVariant, number: int, callee_port: int
    ) -> tuple[EnvoyProcess, int]:
        """user's sidecar, its egress to nft going to `callee_port`: process and egress port."""
        name = f"{CALLER}-{number}"
        instance = loopback_instance(self._topology, CALLER, name)
        tls = self._tls(Workload(name, spiffe_id(CALLER))) if variant.secure else None
        config = caller_config(
            self._topology, instance, tls, variant, callee_port, self._control_plane
        )
        egress = instance.ports.egress[CALLEE]
        assert isinstance(egress, int)  # InstancePorts.allocate: a loopback port
        return self._start(name, config, instance.ports.admin), egress


@contextmanager
def running_hops(
    variants: Sequence[CallerVariant], app_port: int, path: str, workdir: Path
) -> Iterator[dict[str, Hop]]:
    """label -> a caller sidecar of each variant, reaching a callee sidecar of its kind
    (plaintext, mTLS, mTLS without RBAC and XFCC; one of each kind) in front of the app on
    `app_port`; yielded once `path` answers 200 through every one. Every Envoy is stopped on
    the way out."""
    with ExitStack() as stack:
        builder = HopBuilder(workdir, stack)
        kinds = dict.fromkeys(v.callee for v in variants)  # in order: stable names
        callees = {
            kind: builder.callee(*kind, app_port, f"{CALLEE}-{n}")
            for n, kind in enumerate(kinds, 1)
        }
        hops: dict[str, Hop] = {}
        for number, variant in enumerate(variants, 1):
            callee, callee_port = callees[variant.callee]
            caller, egress = builder.caller(variant, number, callee_port)
            hops[variant.label] = Hop(f"http://{HOST}:{egress}{path}", caller, callee)
        for hop in hops.values():
            for envoy in (hop.callee, hop.caller):
                envoy.wait_ready()
            hop.caller.wait_until(
                lambda url=hop.url: http_status(url) == 200,
                f"200 for {hop.url}",
                ROUTED_WITHIN_SECONDS,
            )
        yield hops


def direct_response_config(admin_port: int, port: int, body: bytes) -> Config:
    """An Envoy with the mesh's HTTP listener answering every request itself: 200, `body`."""
    route = {
        "name": "answer",
        "match": {"prefix": "/"},
        "direct_response": {"status": 200, "body": {"inline_string": body.decode()}},
        "response_headers_to_add": [
            {"header": {"key": "content-type", "value": "application/json"}}
        ],
    }
    listener = http_listener("alone", port, route_config("alone", [route]))
    return bootstrap(
        node_id="envoy-alone",
        node_cluster="bench",
        admin_port=admin_port,
        control_plane=None,
        listeners=[listener],
        clusters=[],
        tls=None,
    )


@contextmanager
def running_envoy_alone(body: bytes, workdir: Path) -> Iterator[tuple[str, EnvoyProcess]]:
    """An Envoy answering `body` by itself: its URL and process; stopped on the way out."""
    admin_port, port = free_port(), free_port()
    config = direct_response_config(admin_port, port, body)
    process = start_envoy("envoy-alone", config, admin_port, workdir, workdir / "log")
    try:
        process.wait_ready()
        yield f"http://{HOST}:{port}/", process
    finally:
        process.stop()
