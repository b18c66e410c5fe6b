"""Small pure helpers shared by every building block: durations, addresses, typed configs."""

from __future__ import annotations

from typing import Any

from mesh.topology import Protocol

Config = dict[str, Any]

HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
# Envoy's recommended edge values, used on every HTTP/2 hop: 64 KiB per stream, 1 MiB per
# connection keep one stream from buffering much more than a listener's 32 KiB limit.
HTTP2_WINDOWS = {"initial_stream_window_size": 65536, "initial_connection_window_size": 1048576}


def duration(seconds: float) -> str:
    """A protobuf Duration in Envoy's JSON/YAML form: 0.25 -> "0.25s", 10.0 -> "10s"."""
    if seconds < 0:
        raise ValueError(f"negative duration: {seconds}")
    return f"{seconds:.9f}".rstrip("0").rstrip(".") + "s"


def typed(type_name: str, **fields: Any) -> Config:
    """A typed_config: an Any with its type URL."""
    return {"@type": f"type.googleapis.com/{type_name}", **fields}


def socket_address(host: str, port: int) -> Config:
    return {"socket_address": {"address": host, "port_value": port}}


def single_endpoint(cluster: str, host: str, port: int) -> Config:
    """The load_assignment of a static cluster with one endpoint."""
    endpoint = {"endpoint": {"address": socket_address(host, port)}}
    return {"cluster_name": cluster, "endpoints": [{"lb_endpoints": [endpoint]}]}


def upstream_protocol(protocol: Protocol, **common: Any) -> Config:
    """typed_extension_protocol_options pinning a cluster to HTTP/1.1 (REST) or HTTP/2 (gRPC)."""
    explicit = (
        {"http2_protocol_options": dict(HTTP2_WINDOWS)}
        if protocol == "grpc"
        else {"http_protocol_options": {}}
    )
    options: Config = {"explicit_http_config": explicit}
    if common:
        options["common_http_protocol_options"] = common
    return {HTTP_PROTOCOL_OPTIONS: typed(HTTP_PROTOCOL_OPTIONS, **options)}
