"""`make run` stops the mesh, saying why, when a part nothing restarts is gone: the registry,
its sidecar (every Envoy's and app's only way to the control plane) or the edge."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from mesh.launcher import control_plane_gone
from mesh.processes import ManagedProcess, spawn, stop_together
from tests.support.unstarted_mesh import waiting

pytestmark = pytest.mark.integration

CORE = ("registry", "registry_sidecar", "edge")


@pytest.fixture
def core(tmp_path: Path) -> Iterator[dict[str, ManagedProcess]]:
    """Stand-ins for the three processes: real ones that wait to be stopped."""
    processes = {name: spawn(name, waiting(), {}, tmp_path) for name in CORE}
    try:
        yield processes
    finally:
        stop_together(list(processes.values()))


def mesh_of(processes: dict[str, ManagedProcess]) -> Any:
    return SimpleNamespace(**processes)


def test_the_mesh_runs_on_while_its_control_plane_and_edge_run(
    core: dict[str, ManagedProcess],
) -> None:
    assert control_plane_gone(mesh_of(core)) is None


@pytest.mark.parametrize(
    ("part", "named"),
    [
        ("registry", "the registry"),
        ("registry_sidecar", "the registry's sidecar"),
        ("edge", "the edge"),
    ],
)
def test_a_dead_registry_its_sidecar_or_edge_stops_the_mesh_with_a_reason(
    core: dict[str, ManagedProcess], part: str, named: str
) -> None:
    core[part].kill()
    assert control_plane_gone(mesh_of(core)) == f"{named}: killed by {signal.SIGKILL.name}"


def test_a_part_never_started_is_gone_too(core: dict[str, ManagedProcess]) -> None:
    assert control_plane_gone(mesh_of({**core, "registry_sidecar": None})) == (
        "the registry's sidecar is not running"
    )
