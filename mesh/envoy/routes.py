"""Routes: to a mesh cluster (with retries and timeouts), to the local app, and the 404."""

from __future__ import annotations

from mesh.envoy.common import Config, duration
from mesh.envoy.retries import (
    IDEMPOTENCY_KEY_MATCH,
    IDEMPOTENT_METHOD_MATCH,
    IDEMPOTENT_METHODS,
    retry_policy,
)
from mesh.topology import Protocol, ServiceSpec

# Streams are not cut: no route timeout for gRPC; a call's own deadline (grpc-timeout header)
# bounds it instead, unbounded by Envoy (grpc_timeout_header_max 0s).
GRPC_ROUTE_TIMEOUT = 0.0
GRPC_DEADLINE_CAP = 0.0

# Every method an API of the mesh serves. HTTP/1 clients cannot send others (Envoy's parser
# refuses them: 400); over HTTP/2 any token is a method, and would reach an app.
SERVED_METHODS = (*IDEMPOTENT_METHODS, "POST", "PATCH")


def rest_action(cluster: str, timeout: float, retry: Config | None = None) -> Config:
    action: Config = {"cluster": cluster, "timeout": duration(timeout)}
    if retry is not None:
        action["retry_policy"] = retry
    return action


def grpc_action(cluster: str, retry: Config | None = None) -> Config:
    action: Config = {
        "cluster": cluster,
        # The 15 s default would cut every stream longer than 15 s.
        "timeout": duration(GRPC_ROUTE_TIMEOUT),
        # Honour the client's deadline (grpc-timeout) as the stream's limit, uncapped; no limit
        # for a stream without one (max_stream_duration unset).
        "max_stream_duration": {"grpc_timeout_header_max": duration(GRPC_DEADLINE_CAP)},
    }
    if retry is not None:
        action["retry_policy"] = retry
    return action


def routes_to(cluster: str, spec: ServiceSpec, protocol: Protocol, match: Config) -> list[Config]:
    """The routes from `match` to a service's mesh cluster, with the retries its protocol and
    methods allow. REST: idempotent methods first, then requests with an Idempotency-Key, then
    every other request."""
    # Unique and readable in /config_dump: "nft /api/nfts idempotent".
    name = f"{cluster} {match.get('prefix') or match.get('path_separated_prefix')}"
    if protocol == "grpc":
        return [
            {"name": name, "match": match, "route": grpc_action(cluster, retry_policy("unsent"))}
        ]
    timeout = spec.rest_timeout_seconds
    return [
        {
            "name": f"{name} idempotent",
            "match": {**match, "headers": [IDEMPOTENT_METHOD_MATCH]},
            # Half the budget per attempt: a hung instance costs half, a retry still fits.
            "route": rest_action(cluster, timeout, retry_policy("idempotent", timeout / 2)),
        },
        {
            "name": f"{name} keyed",
            "match": {**match, "headers": [IDEMPOTENCY_KEY_MATCH]},
            "route": rest_action(cluster, timeout, retry_policy("idempotent", timeout / 2)),
        },
        {
            "name": f"{name} other",
            "match": match,
            # No per-try timeout: a POST that times out is not retried, so it gets the whole
            # budget (a per-try timeout would only cut it short).
            "route": rest_action(cluster, timeout, retry_policy("unsent")),
        },
    ]


def not_found_route() -> Config:
    """Last route of the edge: anything unrouted gets a 404 from Envoy itself (the edge's local
    replies make it a problem: mesh/envoy/refusals.py)."""
    return {"name": "not-found", "match": {"prefix": "/"}, "direct_response": {"status": 404}}


def unsupported_method_route() -> Config:
    """First route of the edge: a method no API serves gets a 501 from Envoy itself (RFC 9110
    15.6.2), never forwarded to an app."""
    served = {"safe_regex": {"regex": f"^({'|'.join(SERVED_METHODS)})$"}}
    return {
        "name": "unsupported-method",
        "match": {
            "prefix": "/",
            "headers": [{"name": ":method", "string_match": served, "invert_match": True}],
        },
        "direct_response": {"status": 501},
    }


def route_config(name: str, routes: list[Config], **extra: object) -> Config:
    """One virtual host answering every authority (callers use IPs and ports)."""
    virtual_host = {"name": name, "domains": ["*"], "routes": routes}
    return {"name": name, "virtual_hosts": [virtual_host], **extra}
