"""The registry's sidecar: the only way into the control plane, for Envoys (xDS) and for
instances and operators (the REST API), all over mTLS.

Who may do what is decided twice, as everywhere in the mesh: here by RBAC on the caller's
SPIFFE ID (an instance writes only under its own service's path; anyone with a mesh
certificate reads), then by the registry itself from the caller identity this sidecar sets
(an instance registers only its own instance id, at a host its certificate names). The
registry app listens where only this sidecar reaches it."""

from __future__ import annotations

import re

from mesh.envoy.bootstrap import bootstrap
from mesh.envoy.clusters import local_app_cluster
from mesh.envoy.common import Config, LocalAddress, duration
from mesh.envoy.listeners import http_listener
from mesh.envoy.metrics_listener import envoy_admin_cluster, metrics_listener
from mesh.envoy.rbac import (
    any_workload,
    denied_problem_mapper,
    identity,
    policy,
    rbac_filter,
    request,
)
from mesh.envoy.refusals import listener_refusal_mappers
from mesh.envoy.routes import grpc_action, rest_action, route_config
from mesh.envoy.tls import MeshTls, verified_callers
from mesh.topology import HOST, Topology
from services.common.workload_identity import OPERATOR_ID, REGISTRY, spiffe_id

REST_LISTENER, XDS_LISTENER = "registry_rest", "registry_xds"
REST_APP, XDS_APP = "registry_app", "registry_xds_app"
API_PREFIX = "/api/registry"
ADS_PATH = "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources"
REST_TIMEOUT = 5.0
READ_METHODS = ("GET", "HEAD")
WRITE_METHODS = ("PUT", "DELETE")


def registry_sidecar_config(
    topology: Topology,
    *,
    tls: MeshTls,
    rest_app: LocalAddress,
    xds_app: LocalAddress,
    admin_port: int,
    listen_host: str = HOST,
    rest_port: int | None = None,
    xds_port: int | None = None,
    metrics_port: int | None = None,
) -> Config:
    """Static (it serves the control plane, so it takes nothing from it). Ports default to
    topology.registry's; a metrics listener (the registry's page and this Envoy's) only with
    `metrics_port`."""
    rest_port = topology.registry.http_port if rest_port is None else rest_port
    xds_port = topology.registry.xds_port if xds_port is None else xds_port
    rest = http_listener(
        REST_LISTENER,
        (listen_host, rest_port),
        route_config(REST_LISTENER, [_route(rest_action(REST_APP, REST_TIMEOUT))]),
        http_filters=[rbac_filter(rest_policies(topology))],
        local_reply_config={"mappers": [denied_problem_mapper(), *listener_refusal_mappers()]},
        # The whole certificate: the registry checks the hosts it names (IP SANs are not among
        # the fields XFCC can carry alone).
        **verified_callers(tls, details=("uri", "subject", "cert")),
    )
    xds = http_listener(
        XDS_LISTENER,
        (listen_host, xds_port),
        route_config(XDS_LISTENER, [_route(grpc_action(XDS_APP))]),
        http_filters=[rbac_filter(xds_policies())],
        # An ADS stream is quiet for as long as no endpoint changes: never cut it for that
        # (Envoys keep the connection alive with HTTP/2 PINGs).
        stream_idle_timeout=duration(0),
        **verified_callers(tls, details=("uri", "subject"), protocols=("grpc",)),
    )
    listeners, clusters = (
        [rest, xds],
        [
            local_app_cluster(REST_APP, rest_app, "http"),
            local_app_cluster(XDS_APP, xds_app, "grpc"),
        ],
    )
    if metrics_port is not None:
        listeners.append(metrics_listener((listen_host, metrics_port), REST_APP))
        clusters.append(envoy_admin_cluster(admin_port))
    return bootstrap(
        node_id=REGISTRY,
        node_cluster=REGISTRY,
        admin_port=admin_port,
        control_plane=None,
        listeners=listeners,
        clusters=clusters,
        tls=tls,
    )


def rest_policies(topology: Topology) -> dict[str, Config]:
    """Health and reads for every mesh workload and the operator; each service's instances
    write (register, heartbeat, deregister) under that service's path only."""
    readers = [any_workload(), identity(OPERATOR_ID)]
    policies = {
        "health": policy([request(methods=READ_METHODS, path_regex="^/healthz$")], readers),
        "read": policy([request(methods=READ_METHODS, prefix=f"{API_PREFIX}/")], readers),
    }
    for name in topology.services:
        instances = f"^{re.escape(f'{API_PREFIX}/services/{name}/instances/')}[^/]+$"
        policies[f"write {name}"] = policy(
            [request(methods=WRITE_METHODS, path_regex=instances)], [identity(spiffe_id(name))]
        )
    return policies


def xds_policies() -> dict[str, Config]:
    """Every workload's Envoy subscribes; the registry checks it asks as itself (node id)."""
    return {
        "ads": policy(
            [request(methods=("POST",), path_regex=f"^{re.escape(ADS_PATH)}$")], [any_workload()]
        )
    }


def _route(action: Config) -> Config:
    return {"name": "registry", "match": {"prefix": "/"}, "route": action}
