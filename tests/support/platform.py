"""Run services from mesh/mesh.yaml as real processes on free ports, for one test scope."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mesh.direct import running_direct
from mesh.ports import free_port
from mesh.processes import AppProcess
from mesh.topology import load_topology
from tests.support.tokens import trusting_env


@contextmanager
def running_services(
    workdir: Path,
    names: Iterable[str] | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[dict[str, AppProcess]]:
    """The named services (all by default) and their dependencies, called directly. The user
    service signs with the test key, so `tests.support.tokens` tokens are accepted."""
    topology = load_topology()
    if names is not None:
        topology = topology.only(set(names))
    with running_direct(
        topology,
        free_port,
        workdir / "data",
        workdir / "log",
        {**trusting_env(), **(extra_env or {})},
    ) as services:
        yield services
