"""Every service as one instance, calling its dependencies directly (no Envoy, no registry).

The smallest way to run the platform: contract tests use it to exercise one service's API
without the mesh in between. Without sidecars nobody verifies who calls an internal operation,
so the apps are told to believe every caller (development only; the mesh never does)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from mesh.processes import AppProcess, app_environment, start_app, stop_all
from mesh.topology import HOST, Instance, InstancePorts, Protocol, Topology

NO_SIDECARS = {"CAPSURE_AUTHENTICATE_CALLERS": "false"}


def _direct_address(instance: Instance, protocol: Protocol) -> str:
    port = instance.ports.app_grpc if protocol == "grpc" else instance.ports.app_http
    return f"{HOST}:{port}"


@contextmanager
def running_direct(
    topology: Topology,
    next_port: Callable[[], int],
    data_dir: Path,
    log_dir: Path,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[dict[str, AppProcess]]:
    """Start every service of `topology` in dependency order, each ready before the next;
    stop them all on the way out (also when one fails to start)."""
    instances = {
        spec.name: Instance(spec, f"{spec.name}-1", InstancePorts.allocate(spec, next_port))
        for spec in topology.services.values()
    }
    started: list[AppProcess] = []
    try:
        for spec in topology.start_order():
            instance = instances[spec.name]
            # The identity service's JWKS too; it may start later: services fetch it lazily.
            peers = {
                name: _direct_address(instances[name], protocol)
                for name, protocol in spec.egress.items()
            }
            env = app_environment(instance, data_dir, peers, {**NO_SIDECARS, **(extra_env or {})})
            app = start_app(instance, env, log_dir)
            started.append(app)
            app.wait_ready()
        yield {app.spec.name: app for app in started}
    finally:
        stop_all(started)
