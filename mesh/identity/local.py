"""The node agent of one host (`make run`, the tests): the mesh CA under the data dir."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from mesh.files import private_directory
from mesh.identity.agent import NodeAgent
from mesh.identity.ca import LocalCertificateAuthority

CA_DIR = Path("data") / "ca"  # under the work directory, beside the services' databases
IDENTITY_DIR = Path("identity")


def local_node_agent(workdir: Path, ttl: timedelta) -> NodeAgent:
    """The agent for `workdir`: its CA (created on first start, or the one mounted there) and
    one identity directory per workload under `workdir/identity` (0700)."""
    authority = LocalCertificateAuthority.load_or_create(workdir / CA_DIR)
    return NodeAgent(authority, private_directory(workdir / IDENTITY_DIR), ttl)
