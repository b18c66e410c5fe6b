"""Run services from mesh/mesh.yaml as real processes on free ports, for one test scope."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mesh.processes import ServiceProcess, start_all, stop_all
from mesh.topology import Topology, load_topology
from tests.support.ports import free_port


def with_dependencies(topology: Topology, names: Iterable[str]) -> Topology:
    wanted: set[str] = set()
    pending = list(names)
    while pending:
        name = pending.pop()
        if name not in wanted:
            wanted.add(name)
            pending.extend(topology.services[name].depends_on)
    return Topology({n: s for n, s in topology.services.items() if n in wanted})


@contextmanager
def running_services(
    workdir: Path,
    names: Iterable[str] | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[dict[str, ServiceProcess]]:
    """The named services (all by default) and their dependencies, stopped afterwards."""
    topology = load_topology().with_ports(free_port)
    if names is not None:
        topology = with_dependencies(topology, names)
    started = start_all(topology, workdir / "data", workdir / "log", extra_env)
    try:
        yield {service.spec.name: service for service in started}
    finally:
        stop_all(started)
