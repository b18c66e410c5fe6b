"""Every Envoy bootstrap of the mesh, generated from the Topology (mesh/mesh.yaml).

One function per building block (clusters, routes with their retries, listeners, the shared
bootstrap), reused by the sidecars and the edge:

- `sidecar_config(topology, instance, control_plane, tls=...)`: an instance's sidecar (inbound
  + one egress per peer it calls, and one to the registry);
- `edge_config(topology, control_plane, tls=...)`: the public edge;
- `registry_sidecar.registry_sidecar_config(topology, tls=..., ...)`: the registry's sidecar;
- `write_config(config, path)`: YAML, written atomically.
"""

from mesh.envoy.edge import edge_config
from mesh.envoy.files import write_config
from mesh.envoy.sidecar import sidecar_config

__all__ = ["edge_config", "sidecar_config", "write_config"]
