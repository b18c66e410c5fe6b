"""What every Envoy of the mesh shares: its node identity, a loopback admin, ADS to the registry."""

from __future__ import annotations

from typing import Any

from mesh.envoy.clusters import XDS_CLUSTER, ControlPlane, xds_cluster
from mesh.envoy.common import Config, duration, socket_address
from mesh.envoy.faults import layered_runtime
from mesh.envoy.tls import MeshTls
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
    control_plane: ControlPlane | None,
    listeners: list[Config],
    clusters: list[Config],
    tls: MeshTls | None,
    runtime_defaults: dict[str, int] | None = None,
    **extra: Any,
) -> Config:
    """An Envoy v3 bootstrap: static listeners and clusters, EDS for the mesh's clusters from the
    `control_plane` (None: static only, as the control plane's own sidecar is), and a
    runtime (`runtime_defaults`, then admin overrides) for live fault and limit changes."""
    config: Config = {
        # xDS requires both; the registry logs and tracks streams by node id.
        "node": {"id": node_id, "cluster": node_cluster},
        # Admin can reconfigure and stop Envoy: loopback only, never a public address.
        "admin": {"address": socket_address(HOST, admin_port)},
    }
    if control_plane is not None:
        config["dynamic_resources"] = {"ads_config": ads_config()}
        clusters = [*clusters, xds_cluster(control_plane, tls)]
    config["static_resources"] = {"listeners": listeners, "clusters": clusters}
    config["layered_runtime"] = layered_runtime(runtime_defaults)
    return {**config, **extra}
