"""A `Mesh` that starts nothing unless a test asks (no registry, no edge): for tests of what the
launcher does to one instance's processes and files. Its work directory is short enough for
the mesh's own socket directory (pytest's tmp_path is not)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from mesh.ports import free_port
from mesh.runner import Mesh, MeshPorts
from mesh.topology import load_topology


def waiting(seconds: float = 60) -> list[str]:
    """A process's command that waits to be stopped: a stand-in for an app or an Envoy."""
    return [sys.executable, "-c", f"import time; time.sleep({seconds})"]


@contextmanager
def short_workdir() -> Iterator[Path]:
    workdir = Path(tempfile.mkdtemp(prefix="rv-"))
    try:
        yield workdir
    finally:
        shutil.rmtree(workdir)


@contextmanager
def unstarted_mesh(workdir: Path | None = None) -> Iterator[Mesh]:
    """mesh/mesh.yaml's mesh in `workdir` (a short temporary one by default); `stop` on the
    way out stops whatever the test put in it."""
    with ExitStack() as made:
        directory = workdir or made.enter_context(short_workdir())
        mesh = Mesh(load_topology(), MeshPorts.free(), free_port, directory)
        try:
            yield mesh
        finally:
            mesh.stop()
