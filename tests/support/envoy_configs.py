"""Generated Envoy configs as the mesh generates them (mTLS identities included), for tests
that read configs without running the mesh."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

from mesh.envoy import edge_config, sidecar_config
from mesh.envoy.clusters import ControlPlane
from mesh.envoy.tls import MeshTls
from mesh.topology import Instance, Topology

Config = dict[str, Any]
CONTROL_PLANE = ControlPlane("127.0.0.1", 8500, 18000)
IDENTITY_ROOT = PurePosixPath("/var/capsure/identity")


def tls_for(workload: str) -> MeshTls:
    return MeshTls(IDENTITY_ROOT / workload)


def sidecar_of(topology: Topology, instance: Instance, **options: Any) -> Config:
    return sidecar_config(topology, instance, CONTROL_PLANE, tls=tls_for(instance.id), **options)


def edge_of(topology: Topology, **options: Any) -> Config:
    return edge_config(topology, CONTROL_PLANE, tls=tls_for("edge"), **options)


def principal_ids(principals: Iterable[Config]) -> set[str]:
    """The SPIFFE IDs `rbac.identities` (or `rbac.identity`) put in `principals`."""
    found: set[str] = set()
    for principal in principals:
        name = principal["authenticated"]["principal_name"]
        if "exact" in name:
            found.add(name["exact"])
        else:
            alternation = name["safe_regex"]["regex"].removeprefix("^(?:").removesuffix(")$")
            found |= {re.sub(r"\\(.)", r"\1", i) for i in alternation.split("|")}
    return found
