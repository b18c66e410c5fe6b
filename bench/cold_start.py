"""Cold start of `make run`: `python -m mesh.launcher --workdir <tmp>` as a subprocess, from
spawn to every instance healthy (the launcher prints its status table once every instance is
registered and the edge holds the identity JWKS), twice on one workdir: empty (SQLite files
created, migrations applied, signing keys made) and again (all of that already there). Per
service, when its instances registered (the registry's `registeredAt`). Then SIGINT, as Ctrl-C,
and the time the launcher takes to drain and stop everything. The registry is read through its
sidecar as the operator (mTLS), with the credential the launcher writes under
`<workdir>/identity/operator/`.

The launcher binds mesh/mesh.yaml's fixed ports (registry, xDS, edge, edge admin): when one is
taken (`make run` or a test mesh on this host), the section says so and measures nothing."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bench.common import compare, get, table
from mesh.identity.local import IDENTITY_DIR
from mesh.identity.operator import OPERATOR, OperatorCredential
from mesh.topology import HOST, Topology, load_topology

TITLE = "Cold start of `make run` to all healthy"
COMMAND = "python -m bench.cold_start"
REPOSITORY = Path(__file__).resolve().parents[1]
# Two starts and two stops must fit the suite's 90 s bound per measurement (a quiet 2-core
# machine takes ~10-15 s per start); a slower start is reported as failed.
START_TIMEOUT_SECONDS = 70.0  # mesh.processes waits up to 60 s for one app on a busy host
# Two whole-platform starts and stops: more than bench.common's default limit.
LIMIT_SECONDS = int(2 * START_TIMEOUT_SECONDS + 30)
STOP_TIMEOUT_SECONDS = 15.0  # the launcher's own stop kills a process after 10 s
POLL_SECONDS = 0.02
TABLE_HEADER = "SERVICE"  # first line of the launcher's status table
TABLE_END = "Logs in"  # the line after it


@dataclass
class Start:
    workdir: str  # "empty" | "reused"
    spawned: float = 0.0  # time.time() of Popen
    registry_ready_s: float | None = None
    edge_ready_s: float | None = None
    all_healthy_s: float | None = None  # the status table printed
    unhealthy: list[str] = field(default_factory=list)  # rows not "ok" in the table
    registered_s: dict[str, list[float]] = field(default_factory=dict)  # service -> instances
    stopped_s: float | None = None  # SIGINT -> the launcher exited
    killed: bool = False


def measure() -> str:
    topology = load_topology()
    if taken := ports_in_use(topology):
        return (
            f"**Skipped**: mesh/mesh.yaml's fixed port(s) {', '.join(map(str, taken))} already in "
            "use on this host (`make run` or another mesh?); the launcher cannot start.\n"
        )
    with tempfile.TemporaryDirectory(prefix="capsure-bench-cold-") as workdir:
        cold = start_and_stop(Path(workdir), "empty", topology)
        warm = start_and_stop(Path(workdir), "reused", topology)
    record(cold, warm)
    return report(cold, warm)


def ports_in_use(topology: Topology) -> list[int]:
    fixed = [
        topology.registry.http_port,
        topology.registry.xds_port,
        topology.edge.port,
        topology.edge.admin_port,
    ]
    return [port for port in fixed if not _bindable(port)]


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the servers do: a port left in TIME_WAIT by a previous run is free for them.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", port))  # probing only: a server on any address conflicts
        except OSError:
            return False
    return True


class Output:
    """The launcher's stdout, line by line with the monotonic time each arrived (a thread
    drains the pipe, so the launcher never blocks on it)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[tuple[float, str]] = []
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def first(self, prefix: str) -> float | None:
        return next((t for t, line in list(self.lines) if line.startswith(prefix)), None)

    def tail(self, count: int = 15) -> str:
        return "\n".join(line for _, line in self.lines[-count:])


def start_and_stop(workdir: Path, kind: str, topology: Topology) -> Start:
    print(f"   start on an {kind} workdir", file=sys.stderr, flush=True)
    result = Start(kind)
    result.spawned, started = time.time(), time.monotonic()
    launcher = subprocess.Popen(
        [sys.executable, "-m", "mesh.launcher", "--workdir", str(workdir)],
        cwd=REPOSITORY,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,  # its own process group: everything it started can be killed
    )
    output = Output(launcher)
    operator = OperatorCredential(workdir / IDENTITY_DIR / OPERATOR)
    try:
        wait_started(launcher, output, result, started, topology, operator)
        result.registered_s = registered(topology, result.spawned, operator)
        stop_started = time.monotonic()
        result.killed = stop(launcher)
        result.stopped_s = time.monotonic() - stop_started
    finally:
        if launcher.poll() is None:
            stop(launcher)
    return result


def wait_started(
    launcher: subprocess.Popen[str],
    output: Output,
    result: Start,
    started: float,
    topology: Topology,
    operator: OperatorCredential,
) -> None:
    """Until the status table is printed: meanwhile, when the registry (through its sidecar, as
    the operator: once the launcher has written that credential) and the edge are up."""
    registry = f"{registry_url(topology)}/healthz"
    edge = f"http://{HOST}:{topology.edge.admin_port}/ready"
    while (end := output.first(TABLE_END)) is None:
        if launcher.poll() is not None:
            raise RuntimeError(f"the launcher exited ({launcher.returncode}):\n{output.tail()}")
        if time.monotonic() - started > START_TIMEOUT_SECONDS:
            raise TimeoutError(f"not healthy after {START_TIMEOUT_SECONDS:.0f} s:\n{output.tail()}")
        with contextlib.suppress(OSError):
            ready = result.registry_ready_s is not None
            if not ready and get(registry, 0.5, operator.ssl_context())[0] == 200:
                result.registry_ready_s = time.monotonic() - started
            if result.edge_ready_s is None and get(edge, 0.5)[0] == 200:
                result.edge_ready_s = time.monotonic() - started
        time.sleep(POLL_SECONDS)
    header = output.first(TABLE_HEADER) or end
    result.all_healthy_s = header - started
    result.unhealthy = [row.split()[1] for row in _table_rows(output) if row.split()[2] != "ok"]


def _table_rows(output: Output) -> list[str]:
    """The instance rows of the status table: between its header and the first blank line."""
    lines = [line for _, line in output.lines]
    start = next(i for i, line in enumerate(lines) if line.startswith(TABLE_HEADER))
    rows = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        rows.append(line)
    return rows


def registry_url(topology: Topology) -> str:
    """The registry's REST API: its sidecar on mesh.yaml's port (mTLS)."""
    return f"https://{HOST}:{topology.registry.http_port}"


def registered(
    topology: Topology, spawned: float, operator: OperatorCredential
) -> dict[str, list[float]]:
    """Per service, seconds from spawn to each instance's registration (its `registeredAt`:
    the app was ready, migrations done, and its registrar's first PUT arrived)."""
    services = f"{registry_url(topology)}/api/registry/services"
    status, body = get(services, context=operator.ssl_context())
    assert status == 200, status
    found: dict[str, list[float]] = {}
    for service in json.loads(body):
        for instance in service["instances"]:
            at = datetime.fromisoformat(instance["registeredAt"]).timestamp()
            found.setdefault(service["name"], []).append(at - spawned)
    return {name: sorted(times) for name, times in sorted(found.items())}


def stop(launcher: subprocess.Popen[str]) -> bool:
    """SIGINT (Ctrl-C: instances drain and deregister), bounded; past that, SIGKILL to its
    whole process group. True when it had to be killed."""
    launcher.send_signal(signal.SIGINT)
    try:
        launcher.wait(STOP_TIMEOUT_SECONDS)
        return False
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(launcher.pid, signal.SIGKILL)  # not reaped yet: the group id is still ours
        launcher.wait()
        return True


# --- report -------------------------------------------------------------------------------


def record(cold: Start, warm: Start) -> None:
    """Cold (empty workdir) against warm (reused): all healthy, and each service's first
    instance registered (every instance starts at once; siblings take turns at migrating their
    shared database)."""
    assert cold.all_healthy_s is not None and warm.all_healthy_s is not None
    figures = [("spawn → all healthy", cold.all_healthy_s, warm.all_healthy_s)]
    for service, times in cold.registered_s.items():
        if warm.registered_s.get(service):
            figure = f"spawn → first {service} registered"
            figures.append((figure, times[0], warm.registered_s[service][0]))
    for figure, value, baseline in figures:
        compare(
            section=TITLE,
            figure=figure,
            label="empty workdir (cold)",
            value=value,
            baseline_label="reused workdir (warm)",
            baseline=baseline,
            unit="s",
        )


def report(cold: Start, warm: Start) -> str:
    def s(value: float | None) -> str:
        return "—" if value is None else f"{value:.2f}"

    def instances(start: Start, service: str) -> str:
        return ", ".join(f"{t:.2f}" for t in start.registered_s.get(service, [])) or "—"

    rows = [
        ["registry healthy", s(cold.registry_ready_s), s(warm.registry_ready_s)],
        ["edge Envoy ready", s(cold.edge_ready_s), s(warm.edge_ready_s)],
    ]
    for service in sorted(cold.registered_s.keys() | warm.registered_s.keys()):
        rows.append([f"{service} registered", instances(cold, service), instances(warm, service)])
    rows.append(["**all healthy** (status table)", f"**{s(cold.all_healthy_s)}**",
                 f"**{s(warm.all_healthy_s)}**"])  # fmt: skip
    ratio = (cold.all_healthy_s or 0) / (warm.all_healthy_s or float("nan"))
    rows.append(["cold ÷ warm", f"{ratio:.2f}", "1.00"])
    rows.append(["SIGINT → launcher exited" + _killed(cold, warm), s(cold.stopped_s),
                 s(warm.stopped_s)])  # fmt: skip
    unhealthy = sorted(set(cold.unhealthy + warm.unhealthy))
    gaps = [t for start in (cold, warm) for t in _gaps(start)]
    notes = (
        "\nSeconds from spawning `python -m mesh.launcher --workdir <tmp>` (every process, port "
        "and config as `make run`, mesh/mesh.yaml's instance counts). 'Registered': the "
        "registry's `registeredAt` of each instance (the app was ready); every instance starts "
        "at once, and siblings take turns at migrating their shared database. "
        "'All healthy': the "
        "launcher printed its status table, after every instance registered and the edge "
        "fetched the identity JWKS. Empty workdir: SQLite files created, migrations applied, "
        "signing keys generated; reused: the same workdir again. Registry (its sidecar, as "
        "the operator: mTLS) and edge polled every "
        f"{POLL_SECONDS * 1e3:.0f} ms plus the read."
        + (f" Not ok in the status table: {', '.join(unhealthy)}." if unhealthy else "")
        + (
            f" Median first → last instance of a service: {statistics.median(gaps):.2f} s."
            if gaps
            else ""
        )
        + "\n"
    )
    return table(["", "empty workdir (cold) s", "reused workdir (warm) s"], rows) + notes


def _gaps(start: Start) -> list[float]:
    return [t[-1] - t[0] for t in start.registered_s.values() if len(t) > 1]


def _killed(cold: Start, warm: Start) -> str:
    killed = [s.workdir for s in (cold, warm) if s.killed]
    return f" (killed after {STOP_TIMEOUT_SECONDS:.0f} s: {', '.join(killed)})" if killed else ""


if __name__ == "__main__":
    from bench.common import main

    sys.exit(main(sys.modules[__name__]))
