"""Small pure helpers shared by every building block: durations, addresses, typed configs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from mesh.topology import HOST, Protocol

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


# Where a process listens: host and port (a name, for a STRICT_DNS cluster), a loopback port
# of this host, or a Unix domain socket (a file whose mode decides which local users may
# connect).
LocalAddress = tuple[str, int] | int | PurePath
# Who may connect to a socket Envoy listens on: the user the mesh runs as, nobody else.
PRIVATE_SOCKET_MODE = 0o600


def local_address(address: LocalAddress) -> Config:
    """An Envoy address. A socket Envoy listens on is made PRIVATE_SOCKET_MODE."""
    if isinstance(address, PurePath):
        return {"pipe": {"path": str(address), "mode": PRIVATE_SOCKET_MODE}}
    if isinstance(address, int):
        return socket_address(HOST, address)
    return socket_address(*address)


def single_endpoint(cluster: str, address: LocalAddress) -> Config:
    """The load_assignment of a static cluster with one endpoint (host and port, or a socket
    path; the host may be a name for a STRICT_DNS cluster)."""
    endpoint = {"endpoint": {"address": local_address(address)}}
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


def without_control_plane(
    config: Config, endpoints: Mapping[str, int], default_port: int | None = None
) -> Config:
    """A generated bootstrap made to run alone (tests, benchmarks): no xDS, and each EDS
    cluster static — on the loopback port `endpoints` names for it, else on `default_port`,
    else on a free port nothing listens on."""
    from mesh.ports import free_port  # only such callers need it

    config.pop("dynamic_resources", None)
    for cluster in config["static_resources"]["clusters"]:
        if cluster["type"] == "EDS":
            del cluster["eds_cluster_config"]
            cluster["type"] = "STATIC"
            port = endpoints.get(cluster["name"], default_port or free_port())
            cluster["load_assignment"] = single_endpoint(cluster["name"], (HOST, port))
    return config
