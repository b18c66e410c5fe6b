"""The whole mesh on one host: registry, edge Envoy, and every instance (app + its sidecar).

`make run` and the end-to-end tests drive it; instances can be added and removed while it
runs, and none of that restarts anything else: Envoys learn endpoints from the registry."""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path, PurePath
from typing import Any

from mesh.envoy import edge_config, sidecar_config
from mesh.envoy.clusters import ControlPlane
from mesh.envoy.edge import EDGE as EDGE_LISTENER
from mesh.envoy.jwt_authn import JWKS_FETCH_SUCCESS_STAT
from mesh.envoy.registry_sidecar import registry_sidecar_config
from mesh.envoy.tls import MeshTls
from mesh.envoy.tracing import TraceExport, traced_sidecar_hops, with_tracing
from mesh.files import private_directory
from mesh.identity.agent import DEFAULT_TTL, NodeAgent, Workload
from mesh.identity.local import local_node_agent
from mesh.identity.operator import OperatorCredential, operator_workload
from mesh.ports import free_port
from mesh.processes import (
    AppProcess,
    EnvoyProcess,
    ManagedProcess,
    ProcessFailed,
    RegistryProcess,
    app_environment,
    http_status,
    peer_address,
    start_app,
    start_envoy,
    start_registry,
    stop_together,
)
from mesh.topology import HOST, Instance, InstancePorts, ServiceSpec, Topology
from mesh.zygote_client import Zygote
from services.common.addresses import socket_path
from services.common.readiness import REGISTERED
from services.common.workload_identity import EDGE, REGISTRY, spiffe_id

# From the identity service's registration: an EDS push, a health check, then the edge's next
# JWKS fetch (it retries every second): a few seconds at most.
JWKS_READY_TIMEOUT_SECONDS = 15.0
# A registry restarted in a running mesh holds xDS answers back a while (Envoys keep their
# endpoints until heartbeats have rebuilt its state); the mesh's first has nothing to rebuild,
# and every Envoy waiting for it delayed the whole start (the edge's JWKS too) by that long.
FRESH_REGISTRY = {"REGISTRY_XDS_WARMUP_SECONDS": "0"}
# A Unix socket path must fit in 108 bytes (sun_path): a deep work directory (pytest's) gets
# its sockets under a short temporary directory instead.
MAX_SOCKET_DIR_BYTES = 60
# Every app here is behind its sidecar, which verifies callers (mesh/direct.py has none).
AUTHENTICATED_CALLERS = {"CAPSURE_AUTHENTICATE_CALLERS": "true"}


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
    # The metrics listeners of the registry's sidecar and the edge (Prometheus finds them
    # through the registry, so any free port does).
    registry_metrics: int
    edge_metrics: int

    @classmethod
    def free(cls) -> MeshPorts:
        return cls(*(free_port() for _ in range(6)))


@dataclass
class Mesh:
    topology: Topology
    ports: MeshPorts
    next_port: Callable[[], int]
    workdir: Path
    app_env: Mapping[str, str] = field(default_factory=dict)
    registry_env: Mapping[str, str] = field(default_factory=dict)  # e.g. REGISTRY_INSTANCE_TTL_…
    # How long each workload certificate lives; the node agent renews it at half that.
    certificate_ttl: timedelta = DEFAULT_TTL
    # Each app and its sidecar talk over Unix sockets only they can open. False (benchmarks
    # that measure an app alone with wrk): loopback ports, which any local process reaches.
    private_apps: bool = True
    # Apps (and the registry) forked by the preloaded parent (mesh/zygote.py). False: each
    # its own interpreter, importing everything itself, as before (`--spawn`; benchmarks).
    preload: bool = True
    # The preloaded parent, when the caller started it early (the launcher: before its own
    # imports); else the mesh starts one on first use. The mesh stops it.
    preloaded: Zygote | None = None
    # Where the Envoys and apps export spans (OTLP over HTTP), and the edge's sampling; None:
    # no tracing anywhere (mesh/envoy/tracing.py, services/common/tracing.py).
    trace_export: TraceExport | None = None
    registry: RegistryProcess | None = None
    registry_sidecar: EnvoyProcess | None = None
    edge: EnvoyProcess | None = None
    agent: NodeAgent | None = None
    instances: dict[str, list[RunningInstance]] = field(default_factory=dict)
    _numbers: Mapping[str, itertools.count[int]] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _resources: ExitStack = field(default_factory=ExitStack)
    _sockets: Path | None = None
    _forks: Zygote | None = None
    # Started by `start` and not yet among `instances`: stopped with the mesh even when the
    # start was interrupted half-way.
    _starting: list[ManagedProcess] = field(default_factory=list)

    @property
    def edge_url(self) -> str:
        return f"http://{HOST}:{self.ports.edge}"

    @property
    def control_plane(self) -> ControlPlane:
        return ControlPlane(HOST, self.ports.registry_http, self.ports.registry_xds)

    @property
    def registry_url(self) -> str:
        """The registry's REST API, through its sidecar: mTLS, with `operator`'s credential."""
        return f"https://{HOST}:{self.ports.registry_http}"

    @property
    def operator(self) -> OperatorCredential:
        return OperatorCredential(self._identity().directory(operator_workload().name))

    def start(self, instances: Mapping[str, int] | None = None) -> None:
        """Everything at once, then wait for all of it. The preloaded parent first (it
        imports the services' stack once while the rest starts; mesh/zygote.py), the node
        agent (the mesh CA, an identity for every workload, renewed in the background); then
        every Envoy (the registry's sidecar, the edge, each instance's sidecar: they start
        while the parent imports), then the registry and every app, forked in that order.
        Siblings sharing a database take turns at migrating it
        (services/common/migration_lock.py), and nothing waits for anything else to start (an
        app registers as soon as the registry answers; a caller whose dependency is not up yet
        answers 503 until it is). Each app says when it is registered
        (services/common/readiness.py): no polling. Last, when the identity service runs, the
        edge must hold its JWKS (`wait_edge_has_jwks`)."""
        self._forks_if_preloading()
        agent = self._identity()
        agent.provision(operator_workload())
        self._resources.enter_context(agent.renewing())
        self._spawn_registry_sidecar()
        edge = self._traced(
            edge_config(
                self.topology,
                self.control_plane,
                tls=self._tls(Workload(EDGE, spiffe_id(EDGE))),
                port=self.ports.edge,
                admin_port=self.ports.edge_admin,
                metrics_port=self.ports.edge_metrics,
            ),
            EDGE,
            {EDGE_LISTENER: True},
        )
        self.edge = start_envoy(
            "edge", edge, self.ports.edge_admin, self._dir("envoy"), self._dir("log"), 2
        )
        counts = {
            n: (instances or {}).get(n, s.instances) for n, s in self.topology.services.items()
        }
        self._start_together(
            [n for n, count in counts.items() for _ in range(count)],
            first=lambda: self._spawn_registry_app(FRESH_REGISTRY),
            before=self._await_core,
        )
        identity = self.topology.identity
        if identity is not None and counts.get(identity.service, 0) > 0:
            wait_edge_has_jwks(self.edge)

    def _await_core(self) -> None:
        """The registry, its sidecar and the edge, ready."""
        assert self.registry is not None and self.registry_sidecar is not None
        assert self.edge is not None
        self.registry.wait_ready()
        self.registry_sidecar.wait_ready()
        self.edge.wait_ready()

    def _start_together(
        self,
        services: list[str],
        first: Callable[[], object] = lambda: None,
        before: Callable[[], None] = lambda: None,
    ) -> None:
        """An instance of each of `services`: every sidecar, then `first`, then every app;
        then wait for `before` and for each instance."""
        prepared: list[tuple[Instance, EnvoyProcess]] = []
        launched: list[RunningInstance] = []
        try:
            for service in services:
                prepared.append(self._prepare(service))
                self._starting.append(prepared[-1][1])
            first()
            for instance, sidecar in prepared:
                launched.append(RunningInstance(instance, sidecar, self.spawn_app(instance)))
                self._starting.append(launched[-1].app)
            before()
            for running in launched:
                self._await_serving(running)
        except BaseException:
            self._stop_starting()
            raise
        with self._lock:
            for running in launched:
                self.instances.setdefault(running.instance.service.name, []).append(running)
            self._starting.clear()

    def _stop_starting(self) -> None:
        """What a start that failed, or was interrupted, had started: apps first, together.
        `stop` does it too, when a second interruption cut this short."""
        starting, self._starting = self._starting, []
        stop_together([p for p in starting if isinstance(p, AppProcess)])
        stop_together([p for p in starting if not isinstance(p, AppProcess)])

    def start_registry(self) -> RegistryProcess:
        """The registry app on Unix sockets only its sidecar reaches, and (unless it is still
        running from before: a restarted registry keeps it) that sidecar on the mesh's
        registry ports; both ready."""
        registry = self._spawn_registry_app()
        sidecar = self._spawn_registry_sidecar()
        registry.wait_ready()
        sidecar.wait_ready()
        return registry

    def _registry_sockets(self) -> Path:
        return self.socket_dir() / REGISTRY

    def _spawn_registry_app(self, defaults: Mapping[str, str] | None = None) -> RegistryProcess:
        """The registry app, without waiting; `defaults` under `registry_env`."""
        sockets = self._registry_sockets()
        self.registry = start_registry(
            self.topology.registry.module,
            self._dir("log"),
            rest=sockets / "rest.sock",
            xds=sockets / "xds.sock",
            extra_env={**(defaults or {}), **self._control_plane_listeners(), **self.registry_env},
            zygote=self._forks_if_preloading(),
        )
        return self.registry

    def _traced(
        self, config: dict[str, Any], service: str, hops: dict[str, bool]
    ) -> dict[str, Any]:
        """`config` with its request hops traced, when the mesh exports traces."""
        if self.trace_export is None:
            return config
        return with_tracing(config, self.trace_export, service, hops)

    def _control_plane_listeners(self) -> dict[str, str]:
        """What the registry serves to Prometheus besides the instances: the metrics
        listeners of its own sidecar and of the edge."""
        return {
            "REGISTRY_METRICS_LISTENER": f"{HOST}:{self.ports.registry_metrics}",
            "REGISTRY_EDGE_METRICS_LISTENER": f"{HOST}:{self.ports.edge_metrics}",
        }

    def _spawn_registry_sidecar(self) -> EnvoyProcess:
        """The registry's sidecar, without waiting, unless it still runs."""
        if self.registry_sidecar is None or not self.registry_sidecar.running:
            sockets = self._registry_sockets()
            admin = self.next_port()
            config = registry_sidecar_config(
                self.topology,
                tls=self._tls(Workload(REGISTRY, spiffe_id(REGISTRY), hosts=(HOST,))),
                rest_app=sockets / "rest.sock",
                xds_app=sockets / "xds.sock",
                admin_port=admin,
                rest_port=self.ports.registry_http,
                xds_port=self.ports.registry_xds,
                metrics_port=self.ports.registry_metrics,
            )
            self.registry_sidecar = start_envoy(
                "registry-sidecar", config, admin, self._dir("envoy"), self._dir("log")
            )
        return self.registry_sidecar

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
        """Hand a new instance its identity, then start its sidecar and app, waiting for
        neither."""
        instance, sidecar = self._prepare(service)
        try:
            return RunningInstance(instance, sidecar, self.spawn_app(instance))
        except BaseException:
            sidecar.stop()
            raise

    def _prepare(self, service: str) -> tuple[Instance, EnvoyProcess]:
        """A new instance of `service`: its id, ports and identity, and its sidecar started."""
        with self._lock:
            spec = self.topology.services[service]
            number = self._numbers.setdefault(service, itertools.count(1))
            instance_id = f"{service}-{next(number)}"
            instance = Instance(spec, instance_id, self.instance_ports(spec, instance_id))
        self._identity().provision(Workload(instance.id, spiffe_id(spec.name), hosts=(HOST,)))
        return instance, self.spawn_sidecar(instance)

    def instance_ports(self, spec: ServiceSpec, instance_id: str) -> InstancePorts:
        """Where a new instance listens: its ports and, for private apps, sockets in its own
        0700 directory, each checked to fit a socket address (sun_path counts bytes) before
        anything starts: a ProcessFailed naming the one that does not."""
        if not self.private_apps:
            return InstancePorts.allocate(spec, self.next_port)
        sockets = self.socket_dir() / instance_id
        ports = InstancePorts.private(spec, self.next_port, sockets)
        addresses = [ports.app_http, ports.app_grpc, ports.control, *ports.egress.values()]
        try:
            for address in addresses:
                if isinstance(address, PurePath):
                    socket_path(address)
        except ValueError as error:
            raise ProcessFailed(f"{instance_id} cannot listen there: {error}") from None
        private_directory(sockets)
        return ports

    def spawn_sidecar(self, instance: Instance) -> EnvoyProcess:
        """Start `instance`'s sidecar, without waiting: at launch, and again (same ports, same
        config, the identity the node agent keeps renewing) when the supervisor restarts it."""
        # Envoy replaces a socket file its dead predecessor left; the app does likewise.
        tls = MeshTls(self._identity().directory(instance.id).resolve())
        config = self._traced(
            sidecar_config(self.topology, instance, self.control_plane, tls=tls),
            instance.service.name,
            traced_sidecar_hops(instance),
        )
        return start_envoy(
            f"{instance.id}-sidecar",
            config,
            instance.ports.admin,
            self._dir("envoy"),
            self._dir("log"),
        )

    def spawn_app(self, instance: Instance) -> AppProcess:
        """Start `instance`'s app, without waiting: at launch, and again (same id, ports and
        settings) when the supervisor restarts it."""
        env, log = self._app_env(instance), self._dir("log")
        return start_app(instance, env, log, self._forks_if_preloading())

    def _await_serving(self, running: RunningInstance) -> None:
        running.sidecar.wait_ready()
        running.app.wait_ready()
        if running.app.ready is None or running.app.ready.word != REGISTERED:
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
        self._identity().forget(instance_id)
        if self._sockets is not None:  # its sockets' directory, empty or with stale sockets
            with contextlib.suppress(FileNotFoundError):
                shutil.rmtree(self._sockets / instance_id)

    def registry_status(self, path: str) -> int | None:
        """The status of a GET on the registry's REST API, as the operator."""
        context = self.operator.ssl_context()
        return http_status(f"{self.registry_url}{path}", timeout=2.0, context=context)

    def wait_registered(self, instance_id: str, service: str, timeout: float = 10.0) -> None:
        if self.registry is None:
            raise ProcessFailed("the registry is not running")
        path = f"/api/registry/services/{service}/instances/{instance_id}"
        self.registry.wait_until(lambda: self.registry_status(path) == 200, "registered", timeout)

    def stop(self) -> None:
        """All apps at once (each leaves the registry and drains), then their sidecars, the
        edge, and the registry last; then the node agent."""
        with self._lock:
            self._stop_starting()
            running = [r for group in self.instances.values() for r in group]
            self.instances.clear()
            stop_together([r.app for r in running])
            stop_together([r.sidecar for r in running])
            stop_together([p for p in (self.edge, self.registry_sidecar) if p is not None])
            stop_together([p for p in (self.registry,) if p is not None])
            self._resources.close()

    def _app_env(self, instance: Instance) -> dict[str, str]:
        spec, ports = instance.service, instance.ports
        # Every peer through this instance's own sidecar egress, never a peer directly; the
        # registry too (the sidecar presents the instance's certificate to it).
        peers = {peer: peer_address(ports.egress[peer]) for peer in spec.egress}
        mesh_env = {
            # Said, not left to the default: a stray `=false` in the operator's shell would
            # reach the apps through os.environ and make them believe any local caller.
            **AUTHENTICATED_CALLERS,
            "REGISTRY_ADDR": peer_address(ports.control),
            f"{spec.env_prefix}ADVERTISE_ADDR": instance.inbound_address,
            f"{spec.env_prefix}METRICS_PORT": str(ports.metrics),
            **(self.trace_export.app_environment() if self.trace_export else {}),
            **self.app_env,
        }
        return app_environment(instance, self._dir("data"), peers, mesh_env)

    def zygote(self) -> Zygote:
        """The preloaded parent that forks every app and the registry (started on first use,
        with every module of the topology to preload; stopped last)."""
        if self._forks is None:
            modules = [self.topology.registry.module]
            modules += [spec.module for spec in self.topology.services.values()]
            cache = self.workdir / "cache" / "python"
            self._forks = self.preloaded or Zygote(self._dir("log"), modules, cache)
            self._resources.callback(self._forks.stop)
        return self._forks

    def _forks_if_preloading(self) -> Zygote | None:
        return self.zygote() if self.preload else None

    def _identity(self) -> NodeAgent:
        """The node agent, with the mesh CA under the data dir (made on first use)."""
        if self.agent is None:
            self.agent = local_node_agent(self.workdir, self.certificate_ttl)
        return self.agent

    def _tls(self, workload: Workload) -> MeshTls:
        return MeshTls(self._identity().provision(workload).resolve())

    def socket_dir(self) -> Path:
        """Where apps' Unix sockets go: a 0700 directory (nobody else can even reach them)."""
        if self._sockets is None:
            wanted = (self.workdir / "run" / "sockets").resolve()
            if len(os.fsencode(wanted)) <= MAX_SOCKET_DIR_BYTES:
                self._sockets = private_directory(wanted)
            else:
                self._sockets = Path(tempfile.mkdtemp(prefix="capsure-"))
                self._resources.callback(shutil.rmtree, self._sockets, ignore_errors=True)
        return self._sockets

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
    certificate_ttl: timedelta = DEFAULT_TTL,
    private_apps: bool = True,
    trace_export: TraceExport | None = None,
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
        certificate_ttl=certificate_ttl,
        private_apps=private_apps,
        trace_export=trace_export,
    )
    try:
        mesh.start(instances=instances)
        yield mesh
    finally:
        mesh.stop()
