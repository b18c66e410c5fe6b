"""Self-healing: the launcher restarts an instance's app or sidecar when that process exits,
or when its liveness probe gets no answer several times in a row (a hung loop, a SIGSTOP),
as a kubelet restarts a pod's containers: SIGKILL, then a restart after a back-off
(mesh/restarts.py decides when), with the same instance id, ports and settings. A restarted
app registers itself again (services/common/registrar.py) and Envoys route to it after their
next good health check; a restarted sidecar is found at the address already registered.

Opt-in: `make run` supervises its mesh (`--no-restart` turns it off); `running_mesh` alone
does not, so a test or benchmark that kills an instance on purpose sees it stay dead, and a
test of self-healing opts in with `supervising(mesh)`. What is taken out on purpose is never
restarted: `Mesh.remove_instance` and `Mesh.stop` take an instance out of the mesh before
stopping it, and the supervisor kills or starts a process only under `Mesh.holding`, while
the instance is still in.

One watcher thread per process, so a probe of a hung process (blocked up to its timeout)
never delays another process's; the previous run's log is kept as `<name>.previous.log`."""

from __future__ import annotations

import contextlib
import http.client
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from mesh.processes import ManagedProcess, local_status
from mesh.restarts import Lifecycle, LivenessPolicy, RestartPolicy, exit_reason
from mesh.runner import Mesh, RunningInstance
from mesh.topology import LocalAddress

Part = Literal["app", "sidecar"]
PARTS: tuple[Part, ...] = ("app", "sidecar")
APP_LIVENESS_PATH = "/livez"
SIDECAR_LIVENESS_PATH = "/ready"  # on its admin port
# SIGKILL ends a process at once, unless it is in uninterruptible sleep (a hung disk or network
# file system): the mesh's lock is held meanwhile, so the wait for its end is bounded.
KILL_WAIT_SECONDS = 5.0
DISCOVERY_INTERVAL_SECONDS = 0.5  # an added instance is watched within this
EXIT_POLL_SECONDS = 0.1  # an exit is noticed within this (a waitpid, no I/O)
Report = Callable[[str], None]
Clock = Callable[[], float]


def report_line(line: str) -> None:
    """The launcher's output: one line per restart decision, with its reason."""
    print(f"supervisor: {line}", flush=True)


def alive(running: RunningInstance, part: Part, timeout: float) -> bool:
    """Any answer is life. The sidecar: its admin /ready (503 while it initialises or drains).
    The app (over its private socket): /livez, an answer from its event loop that no database
    query waits for. Not /healthz: it queries the database, and while an instance frozen inside a
    write holds the shared SQLite file's lock, its siblings' /healthz is silent as long as
    their own writes queue behind it, so they were killed with it."""
    if part == "app":
        return answered(running.instance.ports.app_http, APP_LIVENESS_PATH, timeout)
    return answered(running.sidecar.admin_port, SIDECAR_LIVENESS_PATH, timeout)


def answered(address: LocalAddress, path: str, timeout: float) -> bool:
    """Whether anything answers a GET of `path` at `address` (a loopback port or a Unix socket)
    within `timeout`: any status, even a reply that is not HTTP (something is alive there);
    not a refused connection nor silence. The one rule of every probe, whatever the transport."""
    try:
        return local_status(address, path, timeout) is not None
    except http.client.HTTPException:
        return True


def keep_previous_log(log_path: Path) -> None:
    """The dead process's log survives its restart (as `kubectl logs --previous`)."""
    if log_path.exists():
        log_path.replace(log_path.with_name(f"{log_path.stem}.previous.log"))


class Watcher:
    """Watches one process of one instance, and restarts it when it is down."""

    def __init__(
        self,
        mesh: Mesh,
        running: RunningInstance,
        part: Part,
        lifecycle: Lifecycle,
        report: Report,
        clock: Clock,
    ) -> None:
        self.mesh, self.running, self.part = mesh, running, part
        self.lifecycle, self._report, self._clock = lifecycle, report, clock
        self._stop = threading.Event()
        self._next_probe = 0.0
        self._thread = threading.Thread(target=self._run, name=f"watch-{self.name}", daemon=True)

    @property
    def name(self) -> str:
        return f"{self.running.id} {self.part}"

    def process(self) -> ManagedProcess:
        return self.running.app if self.part == "app" else self.running.sidecar

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        self._next_probe = self._clock()
        while not self._stop.is_set():
            try:
                self._step()
            except Exception as error:  # a watcher that dies would leave its process unwatched
                self._report(f"{self.name}: supervision error {error!r}; carrying on")
                self._stop.wait(self.lifecycle.liveness.period)

    def _step(self) -> None:
        """One look at the process: restart it when due, notice an exit, or probe it."""
        now = self._clock()
        if self.lifecycle.restart_at is not None:
            if self.lifecycle.due(now):
                self._restart()
            else:
                self._stop.wait(min(self.lifecycle.restart_at - now, EXIT_POLL_SECONDS))
            return
        returncode = self.process().process.poll()
        if returncode is not None:
            self._down(exit_reason(returncode), kill=False)
        elif now >= self._next_probe:
            self._next_probe = now + self.lifecycle.liveness.period
            answered = alive(self.running, self.part, self.lifecycle.liveness.timeout)
            reason = self.lifecycle.probed(answered, self._clock())
            if reason is not None:
                self._down(reason, kill=True)
        else:
            self._stop.wait(min(self._next_probe - now, EXIT_POLL_SECONDS))

    def _down(self, reason: str, *, kill: bool) -> None:
        with self.mesh.holding(self.running) as still_in:
            if not still_in:  # removed or stopping: on purpose, nothing to heal
                self._stop.set()
                return
            process = self.process()
            killed = "; SIGKILL" if kill else ""
            if kill:
                try:
                    process.kill(KILL_WAIT_SECONDS)  # SIGKILL: also ends a stopped process
                except subprocess.TimeoutExpired:
                    killed += f" (not ended after {KILL_WAIT_SECONDS:g} s)"
            delay = self.lifecycle.failed(reason, self._clock())
        self._report(f"{self.name} (pid {process.pid}) {reason}{killed}; {self._next(delay)}")

    def _restart(self) -> None:
        with self.mesh.holding(self.running) as still_in:
            if not still_in:
                self._stop.set()
                return
            instance = self.running.instance
            with contextlib.suppress(OSError):  # a log kept or not, the restart goes ahead
                keep_previous_log(self.process().log_path)
            try:
                if self.part == "app":
                    self.running.app = self.mesh.spawn_app(instance)
                else:
                    self.running.sidecar = self.mesh.spawn_sidecar(instance)
            except Exception as error:  # whatever stopped the start, it waits its back-off
                delay = self.lifecycle.failed(f"could not start: {error}", self._clock())
                self._report(f"{self.name} could not start: {error}; {self._next(delay)}")
                return
            self.lifecycle.restarted(self._clock())
            pid, restarts = self.process().pid, self.lifecycle.restarts
        self._report(f"{self.name} restarted (pid {pid}, restart {restarts})")

    def _next(self, delay: float) -> str:
        looping = " (crash-looping)" if self.lifecycle.crash_looping else ""
        return f"restart in {delay:g} s{looping}"


class Supervisor:
    """Watches every instance the mesh has (added ones too, within a discovery interval)."""

    def __init__(
        self,
        mesh: Mesh,
        *,
        report: Report = report_line,
        liveness: LivenessPolicy | None = None,
        restart: RestartPolicy | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.mesh = mesh
        self.liveness, self.restart = liveness or LivenessPolicy(), restart or RestartPolicy()
        self._report, self._clock = report, clock
        self._watchers: dict[str, tuple[Watcher, ...]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="supervisor", daemon=True)

    def start(self) -> None:
        self._discover()
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (before the mesh stops: nothing is restarted from here on)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        with self._lock:
            watchers = [w for group in self._watchers.values() for w in group]
            self._watchers.clear()
        for watcher in watchers:
            watcher.stop()
        for watcher in watchers:  # a watcher may be in a probe: bounded by its timeout
            watcher.join(self.liveness.timeout + 1)

    def status(self, instance_id: str) -> dict[str, dict[str, Any]]:
        """Part -> its state, restarts and last restart's reason; {} before it is watched."""
        with self._lock:
            watchers = self._watchers.get(instance_id, ())
        now = self._clock()
        return {w.part: w.lifecycle.status(now) for w in watchers}

    def _run(self) -> None:
        while not self._stop.wait(DISCOVERY_INTERVAL_SECONDS):
            self._discover()

    def _discover(self) -> None:
        # Copies made by C code under the GIL: no lock of the mesh's needed to read them.
        current = {r.id: r for group in list(self.mesh.instances.values()) for r in list(group)}
        with self._lock:
            for instance_id in self._watchers.keys() - current.keys():
                for watcher in self._watchers.pop(instance_id):
                    watcher.stop()  # removed: its thread ends on its own
            for instance_id, running in current.items():
                if instance_id not in self._watchers:
                    self._watchers[instance_id] = self._watch(running)

    def _watch(self, running: RunningInstance) -> tuple[Watcher, ...]:
        now = self._clock()
        watchers = tuple(
            Watcher(
                self.mesh,
                running,
                part,
                Lifecycle(self.liveness, self.restart, started_at=now),
                self._report,
                self._clock,
            )
            for part in PARTS
        )
        for watcher in watchers:
            watcher.start()
        return watchers


@contextmanager
def supervising(mesh: Mesh, **options: Any) -> Iterator[Supervisor]:
    """The mesh's instances restarted when they exit or hang, for the body."""
    supervisor = Supervisor(mesh, **options)
    supervisor.start()
    try:
        yield supervisor
    finally:
        supervisor.stop()
