"""What every Envoy of the mesh shares: its node identity, a loopback admin, ADS to the registry."""

from __future__ import annotations

from typing import Any

from mesh.envoy.clusters import XDS_CLUSTER, xds_cluster
from mesh.envoy.common import Config, duration, socket_address
from mesh.envoy.faults import layered_runtime
from mesh.topology import HOST

# Reconnect to a restarted registry within a second (default back-off: 0.5 s growing to 30 s).
XDS_RETRY_BASE = 0.1
XDS_RETRY_MAX = 1.0


def ads_config() -> Config:
    return {
        "api_type": "GRPC",
        "transport_api_version": "V3",
        # The node (id, cluster) goes once per stream, not in every request.
        "set_node_on_first_message_only": True,
        "grpc_services": [
            {
                "envoy_grpc": {
                    "cluster_name": XDS_CLUSTER,
                    "retry_policy": {
                        "retry_back_off": {
                            "base_interval": duration(XDS_RETRY_BASE),
                            "max_interval": duration(XDS_RETRY_MAX),
                        }
                    },
                }
            }
        ],
    }


def bootstrap(
    *,
    node_id: str,
    node_cluster: str,
    admin_port: int,
    xds: tuple[str, int],
    listeners: list[Config],
    clusters: list[Config],
    runtime_defaults: dict[str, int] | None = None,
    **extra: Any,
) -> Config:
    """An Envoy v3 bootstrap: static listeners and clusters, EDS for the mesh's clusters, and a
    runtime (`runtime_defaults`, then admin overrides) for live fault and limit changes."""
    return {
        # xDS requires both; the registry logs and tracks streams by node id.
        "node": {"id": node_id, "cluster": node_cluster},
        # Admin can reconfigure and stop Envoy: loopback only, never a public address.
        "admin": {"address": socket_address(HOST, admin_port)},
        "dynamic_resources": {"ads_config": ads_config()},
        "static_resources": {"listeners": listeners, "clusters": [*clusters, xds_cluster(xds)]},
        "layered_runtime": layered_runtime(runtime_defaults),
        **extra,
    }
