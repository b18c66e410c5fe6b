"""What the benchmarks share: machine facts, a mesh on free ports in a temp dir, Envoy admin
reads, wrk with exact percentiles (or a Python fallback), a closed-loop HTTP load of threads,
and the Markdown they print."""

from __future__ import annotations

import atexit
import contextlib
import http.client
import json
import os
import platform
import re
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID, uuid4

from mesh.envoy.tracing import TraceExport
from mesh.processes import envoy_binary
from mesh.runner import Mesh
from mesh.runner import running_mesh as mesh_on_free_ports
from mesh.topology import load_topology
from services.common.auth import TokenIssuer
from services.user.adapters.signing_keys import FileKeyring

RESULTS = Path(__file__).with_name("results")
WRK_INSTALL = "apt-get install -y wrk   (Debian/Ubuntu; `brew install wrk` on macOS)"
MEASUREMENT_LIMIT_SECONDS = 90  # a hung measurement is stopped (and its mesh with it)


# --- machine facts -----------------------------------------------------------------------


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def busy() -> bool:
    """Something else keeps the CPUs busy (before our mesh starts)."""
    return os.getloadavg()[0] > 0.5 * (os.cpu_count() or 1)


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def envoy_version() -> str:
    out = subprocess.run(
        [envoy_binary(), "--version"], capture_output=True, text=True, timeout=10
    ).stdout
    found = re.search(r"/(\d+\.\d+\.\d+)/", out)
    return found.group(1) if found else out.strip()


def wrk_path() -> str | None:
    return shutil.which("wrk")


def wrk_version() -> str | None:
    if not (wrk := wrk_path()):
        return None
    out = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10)
    return (out.stdout or out.stderr).splitlines()[0].split(" Copyright")[0]


def machine_facts() -> list[tuple[str, str]]:
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    return [
        ("date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("CPU", f"{cpu_model()}, {cores} cores ({usable} usable)"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("Envoy", envoy_version()),
        ("wrk", wrk_version() or f"missing ({WRK_INSTALL})"),
        ("load average 1/5/15 min", load_average()),
    ]


def facts_markdown() -> str:
    rows = machine_facts()
    note = ""
    if busy():
        note = "\n**The machine was busy before the benchmarks started: re-run for figures.**\n"
    return table(["machine", ""], rows) + note


# --- a mesh for one measurement ----------------------------------------------------------


@contextlib.contextmanager
def running_mesh(
    instances: Mapping[str, int],
    app_env: Mapping[str, str] | None = None,
    *,
    private_apps: bool = True,
    trace_export: TraceExport | None = None,
) -> Iterator[Mesh]:
    """Registry, edge and `instances` (service -> count; a dependency not named gets one) on
    free ports, in a temp dir; everything it started is stopped on the way out.

    `private_apps=False` only for a module that measures an app alone ("direct"): apps listen on
    loopback ports a client can reach (`app.url`, `app.grpc_address`) instead of the Unix
    sockets only their sidecar opens, so every sidecar -> app hop is TCP, not the default's
    socket."""
    topology = load_topology().only(set(instances))
    counts = {name: instances.get(name, 1) for name in topology.services}
    with (
        tempfile.TemporaryDirectory(prefix="capsure-bench-") as workdir,
        mesh_on_free_ports(
            topology,
            Path(workdir),
            instances=counts,
            app_env={**trusting_env(), **(app_env or {})},
            private_apps=private_apps,
            trace_export=trace_export,
        ) as mesh,
    ):
        yield mesh


def get(url: str, timeout: float = 2.0, context: ssl.SSLContext | None = None) -> tuple[int, bytes]:
    """Status and body of a GET (over TLS with `context`: an mTLS listener of the mesh)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_for(check: Callable[[], bool], what: str, timeout: float = 15.0) -> float:
    """Poll `check` every 5 ms; the seconds it took. TimeoutError past `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with contextlib.suppress(OSError):
            if check():
                return time.monotonic() - started
        time.sleep(0.005)
    raise TimeoutError(f"not {what} after {timeout}s")


def wait_routed(url: str) -> None:
    """Until `url` answers 200 (the edge has a healthy host for it)."""
    wait_for(lambda: get(url)[0] == 200, f"200 from {url}")


_BENCH_KEYS = Path(tempfile.gettempdir()) / f"capsure-bench-keys-{os.getpid()}"


def _bench_keyring() -> FileKeyring:
    """The signing key the benchmarks' user service loads (as an operator would mount one),
    so the benchmarks can sign tokens for made-up users without logging each one in. Removed
    when this process exits (the apps that load it are stopped before then)."""
    if not _BENCH_KEYS.exists():
        atexit.register(shutil.rmtree, _BENCH_KEYS, ignore_errors=True)
    keyring = FileKeyring(_BENCH_KEYS, activation_seconds=0, retire_after_seconds=3600)
    keyring.ensure()
    return keyring


def trusting_env() -> dict[str, str]:
    _bench_keyring()
    return {"USER_SIGNING_KEYS_DIR": str(_BENCH_KEYS)}


def bearer(user: UUID, roles: Sequence[str] = ("User",)) -> dict[str, str]:
    """A token for `user`, signed with the key the benchmarks' user service signs with."""
    keyring = _bench_keyring()
    issuer = TokenIssuer(keyring.signing_key, "capsure-user", timedelta(minutes=10))
    return {"Authorization": f"Bearer {issuer.issue(user, 'bench', roles).value}"}


def seed_nfts(base_url: str, count: int, owner: UUID | None = None) -> UUID:
    """Mint `count` NFTs for `owner` (a new one by default)."""
    owner = owner or uuid4()
    for n in range(count):
        body = {
            "name": f"Bench #{n}",
            "metadata": {
                "image": f"https://img.example/bench/{n}.png",
                "attributes": [{"traitType": "rank", "value": str(n)}],
            },
        }
        request = urllib.request.Request(
            f"{base_url}/api/nfts",
            data=json.dumps(body).encode(),
            headers={**bearer(owner), "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 201, response.status
    return owner


# --- Envoy admin -------------------------------------------------------------------------


@dataclass
class Host:
    health: dict[str, Any]
    stats: dict[str, int]

    def failures(self) -> list[str]:
        """Why Envoy will not route here: outlier/active-HC flags, a non-HEALTHY EDS status."""
        flags = [k for k, v in self.health.items() if v is True]
        eds = self.health.get("eds_health_status", "HEALTHY")
        return flags + ([f"eds_{eds}"] if eds != "HEALTHY" else [])


def cluster_hosts(admin_port: int, cluster: str) -> dict[str, Host]:
    """`host:port` -> health and per-host counters of every host Envoy has in `cluster`."""
    _, body = get(f"http://127.0.0.1:{admin_port}/clusters?format=json")
    for status in json.loads(body).get("cluster_statuses", []):
        if status["name"] != cluster:
            continue
        hosts = {}
        for host in status.get("host_statuses", []):
            address = host["address"]["socket_address"]
            stats = {s["name"]: int(s.get("value", 0)) for s in host.get("stats", [])}
            key = f"{address['address']}:{address['port_value']}"
            hosts[key] = Host(host.get("health_status", {}), stats)
        return hosts
    return {}


def envoy_stats(admin_port: int, regex: str) -> dict[str, int]:
    _, body = get(f"http://127.0.0.1:{admin_port}/stats?filter={regex}")
    pairs = (line.split(": ", 1) for line in body.decode().splitlines() if ": " in line)
    return {k: int(v) for k, v in pairs if v.isdigit()}


# --- load --------------------------------------------------------------------------------


@dataclass
class LoadResult:
    tool: str
    connections: int
    seconds: float
    requests: int
    errors: int  # socket errors, timeouts, and statuses >= 400
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


# wrk's own summary rounds to 2 digits in mixed units; this prints microseconds.
WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH %d %d %d %d %d %d %d %d %d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def wrk(
    url: str,
    connections: int,
    seconds: float,
    threads: int = 1,
    headers: Mapping[str, str] | None = None,
    lua: str = "",
) -> LoadResult:
    """wrk against `url` with `headers` on every request; `lua` goes first in its script (a
    `request` function that makes each request, e.g. with a key of its own)."""
    wrk = wrk_path()
    if wrk is None:
        raise FileNotFoundError(f"wrk is not installed: {WRK_INSTALL}")
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(lua + WRK_DONE)
        script.flush()
        header_args = [arg for k, v in (headers or {}).items() for arg in ("-H", f"{k}: {v}")]
        command = [
            wrk, "-t", str(threads), "-c", str(connections), "-d", f"{round(seconds)}s",
            "--timeout", "5s", "-s", script.name, *header_args, url,
        ]  # fmt: skip
        out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {out.stdout}{out.stderr}")
    requests, duration_us, p50, p99, *errors = (int(x) for x in line.split()[1:])
    return LoadResult(
        "wrk", connections, duration_us / 1e6, requests, sum(errors), p50 / 1e3, p99 / 1e3
    )


@dataclass
class Sample:
    started: float  # time.time()
    seconds: float
    status: int | None  # None: a socket error or timeout
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and self.status < 400


@dataclass
class ClosedLoop:
    """`workers` threads, each with one keep-alive connection, sending GET `url` back to back
    until stopped; every request is kept as a Sample. A new connection after an error."""

    url: str
    workers: int
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 5.0
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> ClosedLoop:
        for n in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"load-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(self.timeout + 1)

    def _work(self) -> None:
        parts = urlsplit(self.url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection: http.client.HTTPConnection | None = None
        mine: list[Sample] = []
        while not self._stop.is_set():
            if connection is None:
                connection = http.client.HTTPConnection(parts.netloc, timeout=self.timeout)
            started, clock = time.time(), time.perf_counter()
            try:
                connection.request("GET", target, headers=dict(self.headers))
                response = connection.getresponse()
                response.read()
                mine.append(Sample(started, time.perf_counter() - clock, response.status))
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException) as error:
                mine.append(Sample(started, time.perf_counter() - clock, None, repr(error)))
                connection.close()
                connection = None
        if connection is not None:
            connection.close()
        self.samples.extend(mine)  # list.extend is atomic under the GIL


def python_load(url: str, connections: int, seconds: float) -> LoadResult:
    with ClosedLoop(url, connections) as load:
        time.sleep(seconds)
    latencies = sorted(s.seconds for s in load.samples)
    errors = sum(not s.ok for s in load.samples)
    return LoadResult(
        "python",
        connections,
        seconds,
        len(latencies),
        errors,
        percentile(latencies, 50) * 1e3,
        percentile(latencies, 99) * 1e3,
    )


_warned: list[bool] = []


def http_load(url: str, connections: int, seconds: float) -> LoadResult:
    """wrk when installed; else Python threads (their own cost dominates: not comparable)."""
    if wrk_path():
        return wrk(url, connections, seconds)
    if not _warned:
        _warned.append(True)
        print(f"wrk not found; install it for real figures: {WRK_INSTALL}", file=sys.stderr)
        print("falling back to Python threads (slower; figures not comparable)", file=sys.stderr)
    return python_load(url, connections, seconds)


def merged_rounds(results: Sequence[LoadResult]) -> LoadResult:
    """Rounds of one path as one: requests and errors summed, p50 and p99 the median of the
    rounds' (a change of background load during one round moves it less)."""
    first = results[0]
    return LoadResult(
        first.tool,
        first.connections,
        sum(r.seconds for r in results),
        sum(r.requests for r in results),
        sum(r.errors for r in results),
        statistics.median(r.p50_ms for r in results),
        statistics.median(r.p99_ms for r in results),
    )


def interleaved_rounds(
    paths: Mapping[str, str],
    plan: Mapping[int, tuple[int, float]],
    once: frozenset[str] = frozenset(),
) -> dict[tuple[str, int], LoadResult]:
    """(label, connections) -> every path at each of `plan`'s connection counts (connections ->
    rounds, seconds per round and path), the paths taking turns within each round so that
    background load hits them alike; paths in `once` hardly vary and run one round."""
    runs: dict[tuple[str, int], list[LoadResult]] = {}
    for connections, (rounds, seconds) in plan.items():
        print(f"   {connections} connection(s): {rounds} rounds", file=sys.stderr)
        for n in range(rounds):
            for label, url in paths.items():
                if label not in once or n == 0:
                    result = http_load(url, connections, seconds)
                    runs.setdefault((label, connections), []).append(result)
    return {key: merged_rounds(results) for key, results in runs.items()}


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an ascending sequence; nan when empty."""
    if not ordered:
        return float("nan")
    rank = max(1, round(q / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


# --- CPU ---------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, all its threads (Linux /proc; clock ticks, 10 ms)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> float:
    """CPU time every core of the machine spent on anything but idling and waiting for I/O
    (/proc/stat's first line; clock ticks)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle, iowait = fields[3], fields[4]
    return (sum(fields[:8]) - idle - iowait) / os.sysconf("SC_CLK_TCK")


# --- memory ------------------------------------------------------------------------------


def smaps_rollup(pid: int) -> dict[str, int]:
    """Rss, Pss, Pss_Anon, ... of a process in KiB (Linux)."""
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        if rest.strip().endswith("kB"):
            values[name] = int(rest.split()[0])
    return values


# --- figures side by side ----------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """One figure next to its baseline, measured in the same run on the same machine."""

    section: str  # the benchmark's TITLE
    figure: str  # what was measured, e.g. "REST read p50, 1 connection"
    label: str  # the variant, e.g. "edge → sidecar → app"
    value: float
    baseline_label: str  # e.g. "direct (app)"
    baseline: float
    unit: str  # "ms", "req/s", "MiB", "s", ...
    higher_is_better: bool = False

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("nan")


COMPARISONS: list[Comparison] = []


def compare(
    section: str,
    figure: str,
    label: str,
    value: float,
    baseline_label: str,
    baseline: float,
    unit: str,
    *,
    higher_is_better: bool = False,
) -> Comparison:
    """Record a figure with its baseline for the report's summary table and plot."""
    found = Comparison(
        section, figure, label, value, baseline_label, baseline, unit, higher_is_better
    )
    COMPARISONS.append(found)
    return found


def comparisons_markdown(found: Sequence[Comparison]) -> str:
    rows = [
        [c.section, c.figure, c.label, f"{c.value:.4g} {c.unit}", c.baseline_label,
         f"{c.baseline:.4g} {c.unit}", f"{c.ratio:.2f}"]
        for c in found
    ]  # fmt: skip
    header = ["benchmark", "figure", "variant", "value", "baseline", "baseline value", "÷ baseline"]
    return table(header, rows)


# --- output ------------------------------------------------------------------------------


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def ms(value: float) -> str:
    return f"{value:.2f}"


@contextlib.contextmanager
def time_limit(seconds: int, what: str) -> Iterator[None]:
    """TimeoutError in the main thread after `seconds` (the mesh's `finally` still runs)."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"{what}: still running after {seconds}s, stopped")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_measurement(module: ModuleType) -> str:
    """One benchmark module (TITLE, COMMAND, measure() -> Markdown) as a section of the report;
    a failure becomes the section's text, so the others still run."""
    print(f"== {module.TITLE} ({module.COMMAND})", file=sys.stderr, flush=True)
    load_before, started = load_average(), time.monotonic()
    try:
        # A module that needs longer (two whole-platform starts) says so with LIMIT_SECONDS.
        limit = getattr(module, "LIMIT_SECONDS", MEASUREMENT_LIMIT_SECONDS)
        with time_limit(limit, module.TITLE):
            body = module.measure()
    except Exception as error:
        body = f"**Failed**: `{error!r}`\n"
    took = time.monotonic() - started
    print(f"   done in {took:.0f} s", file=sys.stderr, flush=True)
    return (
        f"## {module.TITLE}\n\n`{module.COMMAND}` — {took:.0f} s; load average 1/5/15 min "
        f"before: {load_before}, after: {load_average()}\n\n{body}\n"
    )


def write_report(name: str, facts: str, sections: Sequence[str]) -> Path:
    """Print the report and write it to bench/results/<name>.md."""
    from bench.plot import plot_comparisons  # matplotlib loads only when a report is written

    RESULTS.mkdir(exist_ok=True)
    summary = ""
    if COMPARISONS:
        picture = plot_comparisons(COMPARISONS, RESULTS / f"{name}.png")
        summary = (
            "## Side by side\n\nEvery figure as a ratio to its baseline, measured in this run "
            f"(plotted in `{picture.name if picture else '-'}`).\n\n"
            + comparisons_markdown(COMPARISONS)
            + (f"\n![value ÷ baseline]({picture.name})\n" if picture else "")
        )
    text = "# capsure-mesh benchmarks\n\n" + facts + "\n" + summary + "\n" + "\n".join(sections)
    path = RESULTS / f"{name}.md"
    path.write_text(text)
    print(text)
    print(f"(written to {path})")
    return path


def main(module: ModuleType) -> int:
    """`python -m bench.<name>`: run one benchmark, print it, write results/<name>.md."""
    facts = facts_markdown()  # before the mesh starts: the load average is the machine's own
    write_report(Path(module.__file__).stem, facts, [run_measurement(module)])
    return 0
