"""Cold start of `make run`: `python -m mesh.launcher --workdir <tmp>` as a subprocess, from
spawn to every instance healthy (the launcher prints its status table once every instance is
registered and the edge holds the identity JWKS), twice on one workdir: empty (SQLite files
created, migrations applied, signing keys made, no bytecode cache) and again (all of that
already there). Per service, when its instances registered (the registry's `registeredAt`);
the CPU the launcher and everything it started had used by then (/proc: utime + stime of the
process tree). Then SIGINT, as Ctrl-C, and the time the launcher takes to drain and stop
everything. The registry is read through its sidecar as the operator (mTLS), with the
credential the launcher writes under `<workdir>/identity/operator/`.

Side by side in one run: apps forked by the preloaded parent (mesh/zygote.py, the default)
against `--spawn` (every app its own interpreter, importing everything itself); and the figures
measured before the preloaded parent, event-driven readiness and the parallel start
(`BEFORE`).

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
START_TIMEOUT_SECONDS = 70.0  # mesh.processes waits up to 60 s for one app on a busy host
# Four whole-platform starts and stops: more than bench.common's default limit.
LIMIT_SECONDS = int(4 * START_TIMEOUT_SECONDS + 30)
VARIANTS = {"preloaded": [], "spawned": ["--spawn"]}  # launcher options of each
# Before the preloaded parent (commit 0a48e2e, this bench on this 2-core machine, load average
# 0.92 before, 8.6 after; the issue saw 20-46 s): spawn -> all healthy, and CPU at that point.
BEFORE = {"empty": 34.83, "reused": 35.37}
BEFORE_CPU_SECONDS = 23.6  # one start: ten apps 19.5 s, registry 1.8, Envoys 1.3, launcher 1.0
STOP_TIMEOUT_SECONDS = 15.0  # the launcher's own stop kills a process after 10 s
POLL_SECONDS = 0.02
TABLE_HEADER = "SERVICE"  # first line of the launcher's status table
TABLE_END = "Logs in"  # the line after it


@dataclass
class Start:
    workdir: str  # "empty" | "reused"
    variant: str = "preloaded"  # a key of VARIANTS
    spawned: float = 0.0  # time.time() of Popen
    registry_ready_s: float | None = None
    edge_ready_s: float | None = None
    all_healthy_s: float | None = None  # the status table printed
    cpu_s: float | None = None  # CPU of the launcher's process tree then
    unhealthy: list[str] = field(default_factory=list)  # rows not "ok" in the table
    registered_s: dict[str, list[float]] = field(default_factory=dict)  # service -> instances
    stopped_s: float | None = None  # SIGINT -> the launcher exited
    killed: bool = False
    failed: str = ""  # why it did not start (then the figures above are missing)


def measure() -> str:
    topology = load_topology()
    if taken := ports_in_use(topology):
        return (
            f"**Skipped**: mesh/mesh.yaml's fixed port(s) {', '.join(map(str, taken))} already in "
            "use on this host (`make run` or another mesh?); the launcher cannot start.\n"
        )
    starts: dict[str, tuple[Start, Start]] = {}
    for variant in VARIANTS:
        with tempfile.TemporaryDirectory(prefix="capsure-bench-cold-") as workdir:
            cold = start_and_stop(Path(workdir), "empty", topology, variant)
            warm = start_and_stop(Path(workdir), "reused", topology, variant)
        starts[variant] = (cold, warm)
    record(starts)
    return report(starts)


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


def start_and_stop(workdir: Path, kind: str, topology: Topology, variant: str) -> Start:
    print(f"   {variant}: start on an {kind} workdir", file=sys.stderr, flush=True)
    result = Start(kind, variant)
    result.spawned, started = time.time(), time.monotonic()
    launcher = subprocess.Popen(
        [sys.executable, "-m", "mesh.launcher", "--workdir", str(workdir), *VARIANTS[variant]],
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
        try:
            wait_started(launcher, output, result, started, topology, operator)
        except (TimeoutError, RuntimeError) as error:
            # One start too slow on a busy host: the others are still worth reporting.
            result.failed = str(error).splitlines()[0]
            return result
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
    result.cpu_s = tree_cpu_seconds(launcher.pid)
    header = output.first(TABLE_HEADER) or end
    result.all_healthy_s = header - started
    result.unhealthy = [row.split()[1] for row in _table_rows(output) if row.split()[2] != "ok"]


def tree_cpu_seconds(root: int) -> float:
    """utime + stime of `root` and every live descendant, with what each had reaped (cutime,
    cstime): the CPU everything the launcher started has used so far (Linux /proc)."""
    children: dict[int, list[int]] = {}
    spent: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        pid = int(stat.parent.name)
        children.setdefault(int(fields[1]), []).append(pid)
        spent[pid] = sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += spent.get(pid, 0.0)
        todo.extend(children.get(pid, []))
    return total


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
    whole process group. True when it had to be killed, or left a process behind (killed
    too: a benchmark leaves nothing running)."""
    launcher.send_signal(signal.SIGINT)
    try:
        launcher.wait(STOP_TIMEOUT_SECONDS)
        try:  # its group outlives it while a member does; the id is not reused meanwhile
            os.killpg(launcher.pid, signal.SIGKILL)
        except ProcessLookupError:
            return False
        return True
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(launcher.pid, signal.SIGKILL)  # not reaped yet: the group id is still ours
        launcher.wait()
        return True


# --- report -------------------------------------------------------------------------------


def record(starts: dict[str, tuple[Start, Start]]) -> None:
    """Preloaded against spawned, and against the figures from before (`BEFORE`): all
    healthy on an empty and a reused workdir; CPU used until then."""
    (cold, warm), (spawned_cold, spawned_warm) = starts["preloaded"], starts["spawned"]
    for start, spawned in ((cold, spawned_cold), (warm, spawned_warm)):
        if start.all_healthy_s is None:
            continue
        figure = f"spawn → all healthy, {start.workdir} workdir"
        if spawned.all_healthy_s is not None:
            compare(TITLE, figure, "preloaded", start.all_healthy_s,
                    "spawned (in this run)", spawned.all_healthy_s, "s")  # fmt: skip
        compare(TITLE, figure, "preloaded", start.all_healthy_s,
                "before (recorded)", BEFORE[start.workdir], "s")  # fmt: skip
    if cold.cpu_s is not None and spawned_cold.cpu_s is not None:
        compare(TITLE, "CPU until all healthy, empty workdir", "preloaded", cold.cpu_s,
                "spawned (in this run)", spawned_cold.cpu_s, "s")  # fmt: skip


def report(starts: dict[str, tuple[Start, Start]]) -> str:
    def s(value: float | None) -> str:
        return "—" if value is None else f"{value:.2f}"

    def instances(start: Start, service: str) -> str:
        return ", ".join(f"{t:.2f}" for t in start.registered_s.get(service, [])) or "—"

    columns = [start for pair in starts.values() for start in pair]
    services = sorted({name for start in columns for name in start.registered_s})
    rows = [
        ["registry healthy", *(s(c.registry_ready_s) for c in columns)],
        ["edge Envoy ready", *(s(c.edge_ready_s) for c in columns)],
        *([f"{name} registered", *(instances(c, name) for c in columns)] for name in services),
        ["**all healthy** (status table)", *(_healthy(c) for c in columns)],
        ["before (recorded, `BEFORE`)", *(s(BEFORE[c.workdir]) for c in columns)],
        ["CPU s until all healthy (launcher's tree)", *(s(c.cpu_s) for c in columns)],
        ["SIGINT → launcher exited", *(s(c.stopped_s) + _killed(c) for c in columns)],
    ]
    unhealthy = sorted({name for c in columns for name in c.unhealthy})
    gaps = [t for c in columns for t in _gaps(c)]
    notes = (
        "\nSeconds from spawning `python -m mesh.launcher --workdir <tmp>` (every process, port "
        "and config as `make run`, mesh/mesh.yaml's instance counts). 'preloaded': apps and "
        "registry forked by one preloaded parent (the default); 'spawned': `--spawn`, every "
        "app its own interpreter. 'Registered': the registry's `registeredAt` of each instance "
        "(the app was ready). 'All healthy': the launcher printed its status table, after "
        "every instance registered and the edge fetched the identity JWKS. Empty workdir: "
        "SQLite files created, migrations applied, signing keys generated, no bytecode cache "
        "(with PYTHONDONTWRITEBYTECODE the preloaded parent keeps one under the workdir); "
        "reused: the same workdir again. 'Before': this bench before the preloaded parent, "
        f"event-driven readiness and the parallel start; CPU then {BEFORE_CPU_SECONDS:g} s. "
        "Registry (its sidecar, as the operator: mTLS) and edge polled every "
        f"{POLL_SECONDS * 1e3:.0f} ms plus the read. On 2 cores, wall time is CPU-bound: "
        "with other work on the host, compare the CPU row."
        + (f" Not ok in the status table: {', '.join(unhealthy)}." if unhealthy else "")
        + (
            f" Median first → last instance of a service: {statistics.median(gaps):.2f} s."
            if gaps
            else ""
        )
        + "\n"
    )
    header = ["", *(f"{c.variant}, {c.workdir} workdir s" for c in columns)]
    return table(header, rows) + notes


def _gaps(start: Start) -> list[float]:
    return [t[-1] - t[0] for t in start.registered_s.values() if len(t) > 1]


def _healthy(start: Start) -> str:
    if start.failed:
        return f"not healthy after {START_TIMEOUT_SECONDS:.0f}"
    return "—" if start.all_healthy_s is None else f"**{start.all_healthy_s:.2f}**"


def _killed(start: Start) -> str:
    return " (it, or what it left, SIGKILLed)" if start.killed else ""


if __name__ == "__main__":
    from bench.common import main

    sys.exit(main(sys.modules[__name__]))
