"""The whole mesh on one host: registry, edge Envoy, and every instance (app + its sidecar).

`make run` and the end-to-end tests drive it; instances can be added and removed while it
runs, and none of that restarts anything else: Envoys learn endpoints from the registry."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from mesh.envoy import edge_config, sidecar_config
from mesh.envoy.jwt_authn import JWKS_FETCH_SUCCESS_STAT
from mesh.ports import free_port
from mesh.processes import (
    AppProcess,
    EnvoyProcess,
    ProcessFailed,
    RegistryProcess,
    app_environment,
    http_status,
    start_app,
    start_envoy,
    start_registry,
    stop_together,
)
from mesh.topology import HOST, Instance, InstancePorts, Topology

# From the identity service's registration: an EDS push, a health check, then the edge's next
# JWKS fetch (it retries every second): a few seconds at most.
JWKS_READY_TIMEOUT_SECONDS = 15.0


def wait_edge_has_jwks(edge: EnvoyProcess, timeout: float = JWKS_READY_TIMEOUT_SECONDS) -> None:
    """The mesh is up only once the edge can check tokens: it has fetched the identity
    service's JWKS at least once (until then it refuses every request that needs a token). It
    tries from start-up, every second while failing; this waits for the first success."""
    edge.wait_until(
        lambda: edge.counter(JWKS_FETCH_SUCCESS_STAT) > 0, "holding the identity JWKS", timeout
    )


@dataclass
class RunningInstance:
    instance: Instance
    sidecar: EnvoyProcess
    app: AppProcess

    @property
    def id(self) -> str:
        return self.instance.id

    def stop(self) -> None:
        # The app first: it leaves the registry and drains while its sidecar still carries
        # its in-flight calls out; then the sidecar.
        self.app.stop()
        self.sidecar.stop()

    def kill(self) -> None:
        """A crash: no deregistration, no drain (the registry's TTL and Envoys' outlier
        detection have to notice)."""
        self.app.kill()
        self.sidecar.kill()


@dataclass
class MeshPorts:
    registry_http: int
    registry_xds: int
    edge: int
    edge_admin: int

    @classmethod
    def free(cls) -> MeshPorts:
        return cls(free_port(), free_port(), free_port(), free_port())


@dataclass
class Mesh:
    topology: Topology
    ports: MeshPorts
    next_port: Callable[[], int]
    workdir: Path
    app_env: Mapping[str, str] = field(default_factory=dict)
    registry_env: Mapping[str, str] = field(default_factory=dict)  # e.g. REGISTRY_INSTANCE_TTL_…
    registry: RegistryProcess | None = None
    edge: EnvoyProcess | None = None
    instances: dict[str, list[RunningInstance]] = field(default_factory=dict)
    _numbers: Mapping[str, itertools.count[int]] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def edge_url(self) -> str:
        return f"http://{HOST}:{self.ports.edge}"

    @property
    def xds(self) -> tuple[str, int]:
        return (HOST, self.ports.registry_xds)

    def start(self, instances: Mapping[str, int] | None = None) -> None:
        """Registry and edge, then every instance at once: siblings sharing a database take
        turns at migrating it (services/common/migration_lock.py), and services do not wait
        for each other (a caller whose dependency is not up yet answers 503 until it is).
        (bench.cold_start: start-up is CPU-bound on 2 cores, mostly imports, so one wave
        instead of two changed little: 33.6 -> 32.8 s.) Last, when the identity service runs,
        the edge must hold its JWKS (`wait_edge_has_jwks`)."""
        self.start_registry()
        edge = edge_config(
            self.topology, self.xds, port=self.ports.edge, admin_port=self.ports.edge_admin
        )
        self.edge = start_envoy(
            "edge", edge, self.ports.edge_admin, self._dir("envoy"), self._dir("log"), 2
        )
        counts = {
            n: (instances or {}).get(n, s.instances) for n, s in self.topology.services.items()
        }
        self.edge.wait_ready()
        self._start_together([n for n, count in counts.items() for _ in range(count)])
        identity = self.topology.identity
        if identity is not None and counts.get(identity.service, 0) > 0:
            wait_edge_has_jwks(self.edge)

    def _start_together(self, services: list[str]) -> None:
        launched: list[RunningInstance] = []
        try:
            for service in services:
                launched.append(self._launch(service))
            for running in launched:
                self._await_serving(running)
        except BaseException:
            for running in launched:
                running.stop()
            raise
        with self._lock:
            for running in launched:
                self.instances.setdefault(running.instance.service.name, []).append(running)

    def start_registry(self) -> RegistryProcess:
        self.registry = start_registry(
            self.topology.registry.module,
            self.ports.registry_http,
            self.ports.registry_xds,
            self._dir("log"),
            self.registry_env,
        )
        self.registry.wait_ready()
        return self.registry

    def add_instance(self, service: str) -> RunningInstance:
        """A new instance, ready and registered: it gets traffic as soon as Envoys hear of it."""
        running = self._launch(service)
        try:
            self._await_serving(running)
        except BaseException:
            running.stop()
            raise
        with self._lock:
            self.instances.setdefault(service, []).append(running)
        return running

    def _launch(self, service: str) -> RunningInstance:
        """Start an instance's sidecar and app, without waiting for either."""
        with self._lock:
            spec = self.topology.services[service]
            number = self._numbers.setdefault(service, itertools.count(1))
            instance = Instance(
                spec, f"{service}-{next(number)}", InstancePorts.allocate(spec, self.next_port)
            )
        return RunningInstance(instance, self.spawn_sidecar(instance), self.spawn_app(instance))

    def spawn_sidecar(self, instance: Instance) -> EnvoyProcess:
        """Start `instance`'s sidecar, without waiting: at launch, and again (same ports, same
        config) when the supervisor restarts it."""
        return start_envoy(
            f"{instance.id}-sidecar",
            sidecar_config(self.topology, instance, self.xds),
            instance.ports.admin,
            self._dir("envoy"),
            self._dir("log"),
        )

    def spawn_app(self, instance: Instance) -> AppProcess:
        """Start `instance`'s app, without waiting: at launch, and again (same id, ports and
        settings) when the supervisor restarts it."""
        return start_app(instance, self._app_env(instance), self._dir("log"))

    def _await_serving(self, running: RunningInstance) -> None:
        running.sidecar.wait_ready()
        running.app.wait_ready()
        self.wait_registered(running.id, running.instance.service.name)

    def find(self, instance_id: str) -> RunningInstance:
        for group in self.instances.values():
            for running in group:
                if running.id == instance_id:
                    return running
        raise KeyError(instance_id)

    @contextmanager
    def holding(self, running: RunningInstance) -> Iterator[bool]:
        """The mesh's lock, and whether `running` is still one of its instances. The supervisor
        restarts a process only inside this and only while True: `remove_instance` and `stop`
        take an instance out under the same lock before stopping it, so a restart never
        undoes them."""
        with self._lock:
            group = self.instances.get(running.instance.service.name, [])
            yield any(r is running for r in group)

    def remove_instance(self, instance_id: str) -> None:
        with self._lock:
            running = self.find(instance_id)
            self.instances[running.instance.service.name].remove(running)
        running.stop()

    def wait_registered(self, instance_id: str, service: str, timeout: float = 10.0) -> None:
        if self.registry is None:
            raise ProcessFailed("the registry is not running")
        url = f"{self.registry.url}/api/registry/services/{service}/instances/{instance_id}"
        self.registry.wait_until(lambda: http_status(url) == 200, "registered", timeout)

    def stop(self) -> None:
        """All apps at once (each leaves the registry and drains), then their sidecars, the
        edge, and the registry last."""
        with self._lock:
            running = [r for group in self.instances.values() for r in group]
            self.instances.clear()
            stop_together([r.app for r in running])
            stop_together([r.sidecar for r in running])
            stop_together([p for p in (self.edge, self.registry) if p is not None])

    def _app_env(self, instance: Instance) -> dict[str, str]:
        spec, ports = instance.service, instance.ports
        # Every peer through this instance's own sidecar egress, never a peer directly.
        peers = {peer: f"{HOST}:{ports.egress[peer]}" for peer in spec.egress}
        mesh_env = {
            "REGISTRY_ADDR": f"{HOST}:{self.ports.registry_http}",
            f"{spec.env_prefix}ADVERTISE_ADDR": instance.inbound_address,
            **self.app_env,
        }
        return app_environment(instance, self._dir("data"), peers, mesh_env)

    def _dir(self, name: str) -> Path:
        path = self.workdir / name
        path.mkdir(parents=True, exist_ok=True)
        return path


@contextmanager
def running_mesh(
    topology: Topology,
    workdir: Path,
    *,
    instances: Mapping[str, int] | None = None,
    app_env: Mapping[str, str] | None = None,
    registry_env: Mapping[str, str] | None = None,
) -> Iterator[Mesh]:
    """A whole mesh on free ports in `workdir`; every process is stopped on the way out, also
    when start-up fails half-way (tests and benchmarks)."""
    mesh = Mesh(
        topology,
        MeshPorts.free(),
        free_port,
        workdir,
        app_env=dict(app_env or {}),
        registry_env=dict(registry_env or {}),
    )
    try:
        mesh.start(instances=instances)
        yield mesh
    finally:
        mesh.stop()
