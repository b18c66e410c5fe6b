"""HTTP listeners: one HTTP connection manager serving HTTP/1.1 and h2c on one port."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mesh.envoy.common import Config, LocalAddress, local_address, typed
from mesh.envoy.policies import BUFFER_LIMIT_BYTES

HCM = "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
ROUTER = {
    "name": "envoy.filters.http.router",
    "typed_config": typed("envoy.extensions.filters.http.router.v3.Router"),
}


def http_connection_manager(
    stat_prefix: str, route_config: Config, http_filters: Sequence[Config] = (), **options: Any
) -> Config:
    """`http_filters` run in order before the router, which is always last."""
    return typed(
        HCM,
        stat_prefix=stat_prefix,
        # HTTP/1.1 and HTTP/2 prior knowledge (h2c, gRPC) on one port, told apart by preface.
        codec_type="AUTO",
        route_config=route_config,
        http_filters=[*http_filters, ROUTER],
        **options,
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
