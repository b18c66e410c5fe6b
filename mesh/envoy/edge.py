"""The edge: the only public listener, hardened after Envoy's edge-proxy best practices."""

from __future__ import annotations

from mesh.envoy.bootstrap import bootstrap
from mesh.envoy.clusters import ControlPlane, mesh_clusters
from mesh.envoy.common import HTTP2_WINDOWS, Config, duration, typed
from mesh.envoy.edge_roles import edge_role_check
from mesh.envoy.gateway_problems import gateway_problem_mappers
from mesh.envoy.jwt_authn import jwt_authn_filter, problem_mappers
from mesh.envoy.listeners import http_listener
from mesh.envoy.local_replies import overwrite
from mesh.envoy.metrics_listener import envoy_admin_cluster, metrics_listener
from mesh.envoy.policies import GRPC_HEALTH_SERVICE
from mesh.envoy.refusals import edge_refusals, refusal_mappers
from mesh.envoy.routes import not_found_route, route_config, routes_to, unsupported_method_route
from mesh.envoy.tls import MeshTls
from mesh.topology import HOST, Topology, cluster_name
from services.common.headers import CLIENT_IP, NOT_FORWARDED

EDGE = "edge"
# Headers a service might take as who the caller is. Identity travels only as the token, which
# services verify; a client sending one of these must not be believed anywhere downstream.
UNTRUSTED_IDENTITY_HEADERS = (
    "x-jwt-payload",
    "x-user",
    "x-user-id",
    "x-user-roles",
    "x-roles",
    "x-claims",
    "x-forwarded-user",
    "x-auth-request-user",
)

REQUEST_HEADERS_TIMEOUT = 10.0  # a client has 10 s to send its headers (slowloris)
# No bytes either way for 5 min ends a stream; a quiet market-data stream must send or reconnect.
STREAM_IDLE_TIMEOUT = 300.0
# Disabled: it bounds receiving the *whole* request, so it would cut every long client stream
# (StreamMarketData). Headers (above), idleness (above) and route timeouts bound REST instead.
REQUEST_TIMEOUT = 0.0
CONNECTION_IDLE_TIMEOUT = 3600.0  # an idle client connection is closed after an hour
MAX_REQUEST_HEADERS_KB = 60
MAX_REQUEST_HEADERS_COUNT = 100  # Envoy's default, set so the 431's detail can name it
MAX_CONCURRENT_STREAMS = 100  # per HTTP/2 client connection
MAX_HEAP_BYTES = 512 * 1024 * 1024  # ~8x the 64-69 MiB measured; bounds a runaway, not load
SHRINK_HEAP_AT = 0.95
STOP_ACCEPTING_REQUESTS_AT = 0.98
# Below the 20000 open files of these hosts, leaving room for upstream connections.
MAX_DOWNSTREAM_CONNECTIONS = 10000
OVERLOAD_REFRESH_INTERVAL = 0.25


def edge_config(
    topology: Topology,
    control_plane: ControlPlane,
    *,
    tls: MeshTls | None,
    listen_host: str = HOST,
    admin_port: int | None = None,
    port: int | None = None,
    metrics_port: int | None = None,
) -> Config:
    """The edge Envoy's v3 bootstrap; ports default to topology.edge's. `tls`: the edge's
    identity, presented to every instance it forwards to (None: plaintext, only for tests of
    the edge alone against a test upstream). Its public listener is plaintext HTTP; with
    `metrics_port`, a metrics listener serves its statistics to Prometheus (never published)."""
    listener = http_listener(
        EDGE,
        (listen_host, topology.edge.port if port is None else port),
        route_config(
            EDGE,
            edge_routes(topology),
            # Only the edge says who the client is: whatever a client claims is dropped.
            request_headers_to_remove=list(UNTRUSTED_IDENTITY_HEADERS),
            request_headers_to_add=[client_ip_header()],
            # Internal to the mesh (see retries.py), not for clients.
            response_headers_to_remove=[NOT_FORWARDED],
        ),
        **hardening(),
        http_filters=[*token_check(topology), *edge_role_check(topology)],
        local_reply_config=edge_local_replies(topology),
    )
    admin_port = topology.edge.admin_port if admin_port is None else admin_port
    listeners, clusters = [listener], mesh_clusters(topology, tls)
    if metrics_port is not None:
        listeners.append(metrics_listener((listen_host, metrics_port), app_cluster=None))
        clusters.append(envoy_admin_cluster(admin_port))
    return bootstrap(
        node_id=EDGE,
        node_cluster=EDGE,
        admin_port=admin_port,
        control_plane=control_plane,
        listeners=listeners,
        clusters=clusters,
        tls=tls,
        overload_manager=overload_manager(),
    )


def token_check(topology: Topology) -> list[Config]:
    """jwt_authn before the router; nothing without an identity service."""
    if topology.identity is None:
        return []
    if topology.identity.service not in topology.services:
        # Its JWKS cluster would be missing; an edge without the check would be open.
        raise ValueError(f"the identity service {topology.identity.service!r} is not in the mesh")
    return [jwt_authn_filter(topology, topology.identity)]


def edge_local_replies(topology: Topology) -> Config:
    """What the edge answers by itself, as problem+json: the token check's refusals, its own
    failures to reach a service (circuit breaker, no healthy host, timeouts), then its own
    refusals by status (bad requests, no route ...) and any other error it answers. The first
    mapper that matches a reply applies."""
    tokens = problem_mappers() if topology.identity is not None else []
    refusals = edge_refusals(MAX_REQUEST_HEADERS_KB, MAX_REQUEST_HEADERS_COUNT)
    return {"mappers": [*tokens, *gateway_problem_mappers(), *refusal_mappers(refusals)]}


def client_ip_header() -> Config:
    """The client's address (the TCP peer: use_remote_address, no trusted hops), replacing any
    value the client sent; the user service throttles logins per address by it."""
    return overwrite(CLIENT_IP, "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%")


def edge_routes(topology: Topology) -> list[Config]:
    """Each service's REST API (with its Swagger UI and spec) under its api_prefix, each of its
    gRPC services by package path; a 501 first for a method no API serves, a 404 for everything
    else, last (problems both, by the edge's local replies)."""
    routes: list[Config] = [unsupported_method_route()]
    for spec in topology.services.values():
        # path_separated_prefix: /api/nfts and /api/nfts/..., never /api/nftsfoo.
        match = {"path_separated_prefix": spec.api_prefix}
        routes += routes_to(cluster_name(spec.name, "http"), spec, "http", match)
        for service in spec.grpc_services:
            # Only real gRPC (content-type application/grpc*) reaches a gRPC server.
            match = {"prefix": f"/{service}/", "grpc": {}}
            routes += routes_to(cluster_name(spec.name, "grpc"), spec, "grpc", match)
    routes += _grpc_health_route(topology)
    routes.append(not_found_route())
    return routes


def _grpc_health_route(topology: Topology) -> list[Config]:
    """grpc.health.v1 at the edge answers for the one service that serves gRPC (the request
    names the gRPC service in its body, which routing cannot see: with several such services
    a client must ask each instance's sidecar)."""
    serving = [spec for spec in topology.services.values() if spec.has_grpc]
    if len(serving) != 1:
        return []
    spec = serving[0]
    match = {"prefix": f"/{GRPC_HEALTH_SERVICE}/", "grpc": {}}
    return routes_to(cluster_name(spec.name, "grpc"), spec, "grpc", match)


def hardening() -> Config:
    """HTTP connection manager settings of a public listener."""
    return {
        # The client's address is the peer's; XFF from clients is not trusted.
        "use_remote_address": True,
        "xff_num_trusted_hops": 0,
        # No internal_address_config, on purpose: without one no client is internal (Envoy
        # >= 1.36, loopback included). An explicit one with empty cidr_ranges would bring back
        # the old default (RFC 1918 and loopback trusted). That alone strips only some x-envoy-*
        # headers: every HTTP listener drops the rest (mesh/envoy/envoy_headers.py), normalises
        # paths and refuses header names with `_` (mesh/envoy/listeners.py).
        "max_request_headers_kb": MAX_REQUEST_HEADERS_KB,  # above either limit: 431
        "request_headers_timeout": duration(REQUEST_HEADERS_TIMEOUT),
        "stream_idle_timeout": duration(STREAM_IDLE_TIMEOUT),
        "request_timeout": duration(REQUEST_TIMEOUT),
        "common_http_protocol_options": {
            "idle_timeout": duration(CONNECTION_IDLE_TIMEOUT),
            # No max_connection_duration: long-lived gRPC connections are not recycled.
            "max_headers_count": MAX_REQUEST_HEADERS_COUNT,
        },
        "http2_protocol_options": {
            "max_concurrent_streams": MAX_CONCURRENT_STREAMS,
            **HTTP2_WINDOWS,
        },
    }


def overload_manager() -> Config:
    """Shed load before the edge runs out of memory or file descriptors."""
    heap = "envoy.resource_monitors.fixed_heap"
    connections = "envoy.resource_monitors.global_downstream_max_connections"
    return {
        "refresh_interval": duration(OVERLOAD_REFRESH_INTERVAL),
        "resource_monitors": [
            {
                "name": heap,
                "typed_config": typed(
                    "envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig",
                    max_heap_size_bytes=MAX_HEAP_BYTES,
                ),
            },
            {
                "name": connections,
                "typed_config": typed(
                    "envoy.extensions.resource_monitors.downstream_connections.v3"
                    ".DownstreamConnectionsConfig",
                    max_active_downstream_connections=MAX_DOWNSTREAM_CONNECTIONS,
                ),
            },
        ],
        "actions": [
            _action("envoy.overload_actions.shrink_heap", heap, SHRINK_HEAP_AT),
            _action(
                "envoy.overload_actions.stop_accepting_requests", heap, STOP_ACCEPTING_REQUESTS_AT
            ),
        ],
    }


def _action(name: str, monitor: str, threshold: float) -> Config:
    return {"name": name, "triggers": [{"name": monitor, "threshold": {"value": threshold}}]}
