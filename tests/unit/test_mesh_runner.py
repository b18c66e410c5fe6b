"""The launcher's own files: where instances' sockets go, and what is left of an instance."""

from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from mesh.processes import ProcessFailed
from mesh.runner import MAX_SOCKET_DIR_BYTES, Mesh
from tests.support.unstarted_mesh import short_workdir, unstarted_mesh

pytestmark = pytest.mark.unit


@pytest.fixture
def workdir() -> Iterator[Path]:
    with short_workdir() as workdir:
        assert len(str(workdir / "run" / "sockets")) <= MAX_SOCKET_DIR_BYTES
        yield workdir


@pytest.fixture
def mesh(workdir: Path) -> Iterator[Mesh]:
    with unstarted_mesh(workdir) as mesh:
        yield mesh


def test_an_open_socket_directory_left_by_an_older_run_is_closed(mesh: Mesh, workdir: Path) -> None:
    left = workdir / "run" / "sockets"
    left.mkdir(parents=True)
    left.chmod(0o755)
    assert mesh.socket_dir() == left
    assert stat.S_IMODE(left.stat().st_mode) == 0o700


def test_a_work_directory_short_in_characters_but_not_in_bytes_gets_short_socket_paths(
    workdir: Path,
) -> None:
    """sun_path counts bytes: 20 é are 20 characters and 40 bytes."""
    accented = workdir / ("é" * 20)
    assert len(str(accented / "run" / "sockets")) <= MAX_SOCKET_DIR_BYTES
    with unstarted_mesh(accented) as mesh:
        sockets = mesh.socket_dir()
        assert accented not in sockets.parents
        assert len(os.fsencode(sockets)) <= MAX_SOCKET_DIR_BYTES
        assert stat.S_IMODE(sockets.stat().st_mode) == 0o700


def test_an_instance_whose_sockets_would_not_fit_sun_path_is_refused_before_it_starts(
    mesh: Mesh,
) -> None:
    long_name = "n" * 63  # as long as a service name may be
    spec = dataclasses.replace(mesh.topology.services["nft"], name=long_name)
    with pytest.raises(ProcessFailed, match=r"bytes long; a Unix socket's path may have at most"):
        mesh.instance_ports(spec, f"{long_name}-1")
    assert not (mesh.socket_dir() / f"{long_name}-1").exists()


def test_an_instance_gets_its_own_private_socket_directory(mesh: Mesh) -> None:
    ports = mesh.instance_ports(mesh.topology.services["nft"], "nft-1")
    assert isinstance(ports.app_http, Path)
    assert ports.app_http.parent == mesh.socket_dir() / "nft-1"
    assert stat.S_IMODE(ports.app_http.parent.stat().st_mode) == 0o700
