"""HTTP listeners: one HTTP connection manager serving HTTP/1.1 and h2c on one port, believing
no x-envoy-* header a caller sends (mesh/envoy/envoy_headers.py), and giving every filter (RBAC,
the token check) and route one spelling of each path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mesh.envoy.access_logs import json_access_log
from mesh.envoy.common import Config, LocalAddress, local_address, typed
from mesh.envoy.envoy_headers import drop_envoy_request_headers
from mesh.envoy.policies import BUFFER_LIMIT_BYTES

HCM = "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
ROUTER = {
    "name": "envoy.filters.http.router",
    "typed_config": typed("envoy.extensions.filters.http.router.v3.Router"),
}
# On every listener, before any filter: RBAC (mesh/envoy/rbac.py) and routes match the path the
# app is then given. /a/../b and //a are /b and /a, so no prefix a caller may use leads
# elsewhere by spelling. No path of our contracts holds an encoded slash or backslash: %2F and
# %5C only serve to smuggle a path past a prefix, so they are refused (400), not redirected
# (gRPC and POST clients don't follow).
PATH_NORMALISATION = {
    "normalize_path": True,
    "merge_slashes": True,
    "path_with_escaped_slashes_action": "REJECT_REQUEST",
}
# Apps (or their frameworks) may read x_user as x-user: a header name with `_` would pass
# whatever a listener removes or sets by its hyphenated name (x-forwarded-client-cert ...).
UNDERSCORE_HEADERS = {"headers_with_underscores_action": "REJECT_REQUEST"}


def http_connection_manager(
    stat_prefix: str, route_config: Config, http_filters: Sequence[Config] = (), **options: Any
) -> Config:
    """`http_filters` run in order before the router, which is always last. `options` add to
    the connection manager (`common_http_protocol_options` to UNDERSCORE_HEADERS)."""
    early = [drop_envoy_request_headers(), *options.pop("early_header_mutation_extensions", ())]
    common = {**UNDERSCORE_HEADERS, **options.pop("common_http_protocol_options", {})}
    # Every request one JSON line on stdout, with the ids the apps log (access_logs.py).
    access_log = [json_access_log(stat_prefix), *options.pop("access_log", ())]
    return typed(
        HCM,
        stat_prefix=stat_prefix,
        # HTTP/1.1 and HTTP/2 prior knowledge (h2c, gRPC) on one port, told apart by preface.
        codec_type="AUTO",
        # Before Envoy reads, routes on or forwards any header, whoever the caller is.
        early_header_mutation_extensions=early,
        route_config=route_config,
        http_filters=[*http_filters, ROUTER],
        **{**PATH_NORMALISATION, **options},
        common_http_protocol_options=common,
        access_log=access_log,
    )


def http_listener(
    name: str,
    address: LocalAddress,
    route_config: Config,
    http_filters: Sequence[Config] = (),
    transport_socket: Config | None = None,
    **hcm_options: Any,
) -> Config:
    chain: Config = {
        "filters": [
            {
                "name": "envoy.filters.network.http_connection_manager",
                "typed_config": http_connection_manager(
                    name, route_config, http_filters, **hcm_options
                ),
            }
        ]
    }
    if transport_socket is not None:
        chain["transport_socket"] = transport_socket
    return {
        "name": name,
        "address": local_address(address),
        # Bounds what one client connection can make Envoy buffer (read and write side).
        "per_connection_buffer_limit_bytes": BUFFER_LIMIT_BYTES,
        "filter_chains": [chain],
    }
