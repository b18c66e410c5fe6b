"""mesh.files.atomic_write: the one way the mesh replaces a file others read."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from mesh.files import atomic_write

pytestmark = pytest.mark.unit


def test_a_file_is_written_with_its_mode_and_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "secret.pem"
    assert atomic_write(path, b"first") == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    atomic_write(path, b"second", mode=0o644)
    assert path.read_bytes() == b"second"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["secret.pem"]  # no temp file left


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "cert.yaml"
    atomic_write(path, b"old")
    with pytest.raises(TypeError):
        atomic_write(path, "not bytes")  # type: ignore[arg-type]
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["cert.yaml"]
