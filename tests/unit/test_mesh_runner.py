"""The launcher's own files: where instances' sockets go, and what is left of an instance."""

from __future__ import annotations

import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from mesh.ports import free_port
from mesh.runner import MAX_SOCKET_DIR_LENGTH, Mesh, MeshPorts
from mesh.topology import load_topology

pytestmark = pytest.mark.unit


@pytest.fixture
def short_workdir() -> Iterator[Path]:
    """A work directory short enough for its own socket directory (pytest's tmp_path is not)."""
    workdir = Path(tempfile.mkdtemp(prefix="rv-"))
    assert len(str(workdir / "run" / "sockets")) <= MAX_SOCKET_DIR_LENGTH
    try:
        yield workdir
    finally:
        shutil.rmtree(workdir)


@pytest.fixture
def mesh(short_workdir: Path) -> Iterator[Mesh]:
    mesh = Mesh(load_topology(), MeshPorts.free(), free_port, short_workdir)
    try:
        yield mesh
    finally:
        mesh.stop()


def test_an_open_socket_directory_left_by_an_older_run_is_closed(
    mesh: Mesh, short_workdir: Path
) -> None:
    left = short_workdir / "run" / "sockets"
    left.mkdir(parents=True)
    left.chmod(0o755)
    assert mesh.socket_dir() == left
    assert stat.S_IMODE(left.stat().st_mode) == 0o700
