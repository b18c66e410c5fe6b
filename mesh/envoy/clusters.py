"""Clusters: the mesh's EDS clusters, a sidecar's local app, and the control plane."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from mesh.envoy import policies
from mesh.envoy.common import (
    HTTP_PROTOCOL_OPTIONS,
    Config,
    LocalAddress,
    duration,
    single_endpoint,
    typed,
    upstream_protocol,
)
from mesh.envoy.tls import MeshTls, upstream_tls
from mesh.topology import HOST, Instance, Protocol, ServiceSpec, Topology, cluster_name
from services.common.workload_identity import REGISTRY, spiffe_id

XDS_CLUSTER = "xds_cluster"
REGISTRY_CLUSTER = "registry"
LOCAL_APP = "local_app"
LOCAL_APP_GRPC = "local_app_grpc"

XDS_CONNECT_TIMEOUT = 1.0  # the control plane may be busy starting; it is not on a hot path
# Envoy waits this long for the registry's first EDS answer before serving (default 15 s):
# an Envoy started before the registry serves after ~1 s (its clusters empty until the push).
INITIAL_FETCH_TIMEOUT = 1.0
# HTTP/2 PINGs on the ADS connection: a control plane that vanished without closing the socket
# (host or container gone) is noticed in ~15 s instead of TCP's hours; Envoy then reconnects.
XDS_KEEPALIVE_INTERVAL = 10.0
XDS_KEEPALIVE_TIMEOUT = 5.0
# Below uvicorn's default keep-alive (5 s): Envoy closes an idle connection to the app before
# the app does, so a request is never written into a connection the app is closing.
LOCAL_APP_IDLE_TIMEOUT = 4.0


def mesh_cluster(spec: ServiceSpec, protocol: Protocol, tls: MeshTls | None) -> Config:
    """A service's REST (HTTP/1.1) or gRPC (HTTP/2) API: its instances' sidecar inbound ports,
    pushed by the registry over ADS, with every resilience policy of the mesh; over mTLS to
    instances holding the service's identity (health checks too) when `tls` is given."""
    name = cluster_name(spec.name, protocol)
    cluster: Config = {
        "name": name,
        "type": "EDS",
        "eds_cluster_config": {
            "eds_config": {
                "ads": {},
                "resource_api_version": "V3",
                "initial_fetch_timeout": duration(INITIAL_FETCH_TIMEOUT),
            }
        },
        "connect_timeout": duration(policies.CONNECT_TIMEOUT),
        "per_connection_buffer_limit_bytes": policies.BUFFER_LIMIT_BYTES,
        "typed_extension_protocol_options": upstream_protocol(protocol),
        "lb_policy": policies.lb_policy(spec),
        "common_lb_config": policies.common_lb_config(),
        # Default false: an instance the registry removed would keep getting traffic for as long
        # as it still passes health checks (e.g. deregistered but not yet stopped).
        "ignore_health_on_host_removal": True,
        "health_checks": [policies.health_check(spec, protocol)],
        "outlier_detection": policies.outlier_detection(),
        "circuit_breakers": policies.circuit_breakers(),
    }
    if tls is not None:
        cluster["transport_socket"] = upstream_tls(tls, spiffe_id(spec.name), protocol)
    return cluster


def mesh_clusters(
    topology: Topology, tls: MeshTls | None, names: set[str] | None = None
) -> list[Config]:
    """The EDS clusters of `topology`, all of them or only `names`, in a stable order."""
    return [
        mesh_cluster(spec, protocol, tls)
        for name, (spec, protocol) in topology.clusters().items()
        if names is None or name in names
    ]


def local_app_cluster(name: str, address: LocalAddress, protocol: Protocol) -> Config:
    """The instance's own app on loopback: one static host, no health checks (the peers'
    checks through this sidecar are the app's health checks)."""
    # The REST app (uvicorn) closes idle connections after 5 s; the gRPC app (grpclib) does not.
    idle = {"idle_timeout": duration(LOCAL_APP_IDLE_TIMEOUT)} if protocol == "http" else {}
    return {
        "name": name,
        "type": "STATIC",
        "connect_timeout": duration(policies.CONNECT_TIMEOUT),
        "per_connection_buffer_limit_bytes": policies.BUFFER_LIMIT_BYTES,
        "typed_extension_protocol_options": upstream_protocol(protocol, **idle),
        "circuit_breakers": policies.circuit_breakers(),
        "load_assignment": single_endpoint(name, address),
    }


def local_app_clusters(instance: Instance) -> list[Config]:
    ports = instance.ports
    clusters = [local_app_cluster(LOCAL_APP, ports.app_http, "http")]
    if ports.app_grpc is not None:
        clusters.append(local_app_cluster(LOCAL_APP_GRPC, ports.app_grpc, "grpc"))
    return clusters


@dataclass(frozen=True)
class ControlPlane:
    """Where the registry's sidecar listens: its REST API (instances register through their own
    sidecar's egress to it) and xDS (every Envoy subscribes there). `host` may be a name."""

    host: str
    rest_port: int
    xds_port: int

    @classmethod
    def nowhere(cls) -> ControlPlane:
        """Loopback ports nothing listens on: for a config made to run alone (tests,
        benchmarks: common.without_control_plane), whose Envoy never reaches the registry."""
        from mesh.ports import free_port  # only such callers need it

        return cls(HOST, free_port(), free_port())


def xds_cluster(control_plane: ControlPlane, tls: MeshTls | None) -> Config:
    """The registry's ADS server, over mTLS: the registry knows which workload each Envoy is,
    and an Envoy takes endpoints only from the registry's identity."""
    return _control_plane_cluster(
        XDS_CLUSTER, control_plane.host, control_plane.xds_port, "grpc", tls
    )


def registry_cluster(control_plane: ControlPlane, tls: MeshTls | None) -> Config:
    """The registry's REST API, for the app's registrar (through this sidecar's egress), over
    mTLS with this instance's certificate: the registry lets it write only its own entry."""
    return _control_plane_cluster(
        REGISTRY_CLUSTER, control_plane.host, control_plane.rest_port, "http", tls
    )


def _control_plane_cluster(
    name: str, host: str, port: int, protocol: Protocol, tls: MeshTls | None
) -> Config:
    """STATIC for an IP address, STRICT_DNS for a name (compose); to the registry's identity
    when `tls` is given."""
    cluster: Config = {
        "name": name,
        "type": "STATIC" if _is_ip(host) else "STRICT_DNS",
        "connect_timeout": duration(XDS_CONNECT_TIMEOUT),
        "load_assignment": single_endpoint(name, (host, port)),
    }
    if not _is_ip(host):
        cluster["dns_lookup_family"] = "V4_PREFERRED"  # compose networks resolve to IPv4
    cluster["typed_extension_protocol_options"] = _control_plane_protocol(protocol)
    if tls is not None:
        cluster["transport_socket"] = upstream_tls(tls, spiffe_id(REGISTRY), protocol)
    return cluster


def _control_plane_protocol(protocol: Protocol) -> Config:
    """REST over HTTP/1.1; gRPC (ADS: one stream for as long as the Envoy runs) over HTTP/2
    with PINGs (XDS_KEEPALIVE_*)."""
    if protocol == "http":
        return upstream_protocol("http")
    http2 = {
        "connection_keepalive": {
            "interval": duration(XDS_KEEPALIVE_INTERVAL),
            "timeout": duration(XDS_KEEPALIVE_TIMEOUT),
        }
    }
    options = typed(HTTP_PROTOCOL_OPTIONS, explicit_http_config={"http2_protocol_options": http2})
    return {HTTP_PROTOCOL_OPTIONS: options}


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
