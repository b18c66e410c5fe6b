"""The sidecar of one instance: inbound to its app, one egress listener per peer it calls
(its dependencies, and the identity service for the JWKS). Its inbound carries the fault filter
(`mesh.envoy.faults`), off until switched on through the sidecar's admin runtime."""

from __future__ import annotations

from mesh.envoy.access_policies import inbound_rbac
from mesh.envoy.bootstrap import bootstrap
from mesh.envoy.clusters import (
    LOCAL_APP,
    LOCAL_APP_GRPC,
    REGISTRY_CLUSTER,
    ControlPlane,
    local_app_clusters,
    mesh_clusters,
    registry_cluster,
)
from mesh.envoy.common import Config
from mesh.envoy.faults import fault_filter, fault_runtime_defaults, without_faults
from mesh.envoy.listeners import http_listener
from mesh.envoy.local_replies import overwrite
from mesh.envoy.metrics_listener import envoy_admin_cluster, instance_metrics_listener
from mesh.envoy.policies import GRPC_HEALTH_SERVICE, HEALTH_PATH
from mesh.envoy.rbac import denied_problem_mapper
from mesh.envoy.refusals import listener_refusal_mappers
from mesh.envoy.registry_sidecar import REST_TIMEOUT
from mesh.envoy.routes import grpc_action, rest_action, route_config, routes_to
from mesh.envoy.tls import MeshTls, verified_callers
from mesh.topology import HOST, Instance, Topology, cluster_name
from services.common.headers import NOT_FORWARDED

INBOUND = "inbound"
HEALTH_ROUTE = "health"
EGRESS_PREFIX = "egress_"  # egress_<peer>: the app's way to one peer

# Envoy's own answers that prove the request never reached the app: the connection to it
# failed (UF: app down or restarting), or the local circuit breaker refused it (UO), or there
# was no host (UH). The caller's retry policy retries those even for a POST.
NOT_FORWARDED_FLAGS = ["UF", "UO", "UH"]


def sidecar_config(
    topology: Topology,
    instance: Instance,
    control_plane: ControlPlane,
    *,
    tls: MeshTls | None,
    inbound_host: str = HOST,
) -> Config:
    """The Envoy v3 bootstrap of `instance`'s sidecar. `inbound_host` is where peers reach it:
    loopback on one host, 0.0.0.0 in a container; app, admin and egress stay on loopback.
    `tls`: its identity, for mTLS on the inbound and to every peer and the registry (None:
    plaintext everywhere, only for tests of one Envoy against a test upstream)."""
    spec, ports = instance.service, instance.ports
    needed = {cluster_name(peer, protocol) for peer, protocol in spec.egress.items()}
    return bootstrap(
        node_id=instance.id,
        node_cluster=spec.name,
        admin_port=ports.admin,
        control_plane=control_plane,
        listeners=[
            inbound_listener(topology, instance, tls, inbound_host),
            instance_metrics_listener(instance, inbound_host),
            *egress_listeners(topology, instance),
            registry_egress_listener(instance),
        ],
        clusters=[
            *local_app_clusters(instance),
            envoy_admin_cluster(ports.admin),
            *mesh_clusters(topology, tls, needed),
            registry_cluster(control_plane, tls),
        ],
        tls=tls,
        runtime_defaults=fault_runtime_defaults(),
    )


def inbound_listener(
    topology: Topology, instance: Instance, tls: MeshTls | None, host: str = HOST
) -> Config:
    """Peers, the edge and their health checks reach the app here: gRPC paths to its gRPC
    server, everything else (the REST API, /healthz) to its HTTP server. Injected faults hit
    every route but the health checks'. With `tls`, only mTLS callers get in, RBAC admits only
    the declared callers (mesh/envoy/access_policies.py), and the app is told who called
    (`verified_callers`)."""
    spec, ports = instance.service, instance.ports
    routes: list[Config] = []
    if ports.app_grpc is not None:
        for service in (*spec.grpc_services, GRPC_HEALTH_SERVICE):
            route = {
                "name": service,
                "match": {"prefix": f"/{service}/"},
                "route": grpc_action(LOCAL_APP_GRPC),
            }
            routes.append(_spared(route) if service == GRPC_HEALTH_SERVICE else route)
    timeout = spec.rest_timeout_seconds
    health = {"path": HEALTH_PATH}
    routes.append(
        _spared({"name": HEALTH_ROUTE, "match": health, "route": rest_action(LOCAL_APP, timeout)})
    )
    routes.append(
        {"name": LOCAL_APP, "match": {"prefix": "/"}, "route": rest_action(LOCAL_APP, timeout)}
    )
    return http_listener(
        INBOUND,
        (host, ports.inbound),
        route_config(INBOUND, routes),
        # RBAC first: a refused caller meets no injected fault and reaches nothing.
        http_filters=[
            *([inbound_rbac(topology, spec)] if tls is not None else []),
            fault_filter(),
        ],
        local_reply_config={
            "mappers": [
                *_mark_not_forwarded(),
                denied_problem_mapper(),
                *listener_refusal_mappers(),
            ]
        },
        # The SPIFFE ID only: apps decide by the calling service; printing the subject too
        # costs every request (bench.mtls_hop), and only the registry needs the instance.
        **(verified_callers(tls, details=("uri",)) if tls is not None else {}),
    )


def _spared(route: Config) -> Config:
    """`route` with the fault filter off: a health check sees the instance as it is."""
    return {**route, "typed_per_filter_config": without_faults()}


def egress_listeners(topology: Topology, instance: Instance) -> list[Config]:
    """`<DEP>_ADDR` of the app (and the host of its `CAPSURE_JWKS_URL`): everything sent here
    goes to the peer's cluster."""
    listeners = []
    for peer, protocol in instance.service.egress.items():
        name = f"{EGRESS_PREFIX}{peer}"
        cluster = cluster_name(peer, protocol)
        routes = routes_to(cluster, topology.services[peer], protocol, {"prefix": "/"})
        port = instance.ports.egress[peer]
        listeners.append(http_listener(name, port, route_config(name, routes)))
    return listeners


def registry_egress_listener(instance: Instance) -> Config:
    """REGISTRY_ADDR of the app: its registrar registers and heartbeats through here, so the
    registry sees this instance's certificate."""
    name = "egress_registry"
    action = rest_action(REGISTRY_CLUSTER, REST_TIMEOUT)  # the registry sidecar's own bound
    route = {"name": name, "match": {"prefix": "/"}, "route": action}
    return http_listener(name, instance.ports.control, route_config(name, [route]))


def _mark_not_forwarded() -> list[Config]:
    return [
        {
            "filter": {"response_flag_filter": {"flags": NOT_FORWARDED_FLAGS}},
            "headers_to_add": [overwrite(NOT_FORWARDED, "true")],
        }
    ]
