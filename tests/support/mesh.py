"""The mesh in end-to-end tests: start one on free ports, read its Envoys' admin, load it.

- `running_mesh`: registry, edge and instances (`Mesh`) in a temp workdir; always stopped.
- `stats`, `stat`, `hosts`: what an Envoy's admin says (`/stats?format=json`, `/clusters`).
- `Load`: a bounded concurrent load generator on loopback that records every outcome.
- `keyed_mints`: a `Load` sender of mints, each with its own Idempotency-Key, and what became
  of each; `owned_nfts`: every NFT one owner has, through the edge (to count what they stored).
- `poll`: wait for a condition with a deadline; the seconds it took.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx

from mesh.envoy.tracing import TraceExport
from mesh.identity.agent import DEFAULT_TTL
from mesh.processes import EnvoyProcess
from mesh.runner import Mesh, RunningInstance
from mesh.runner import running_mesh as mesh_on_free_ports
from mesh.topology import load_topology
from tests.support.tokens import bearer, trusting_env

POLL_INTERVAL_SECONDS = 0.02
T = TypeVar("T")
REQUEST_TIMEOUT_SECONDS = 5.0
# No load runs longer; the longest is one a recovery may need (test_self_healing.py).
MAX_LOAD_SECONDS = 30.0
PAGE = 100


# --- the mesh -------------------------------------------------------------------------------


@contextmanager
def running_mesh(
    workdir: Path,
    *,
    services: Iterable[str] | None = None,
    instances: Mapping[str, int] | None = None,
    registry_env: Mapping[str, str] | None = None,
    app_env: Mapping[str, str] | None = None,
    certificate_ttl: timedelta = DEFAULT_TTL,
    trace_export: TraceExport | None = None,
) -> Iterator[Mesh]:
    """The named services (all by default, with their dependencies) behind a fresh edge and
    registry on free ports; `instances` per service (default: mesh.yaml's). The user service
    signs with the test key, so `tests.support.tokens` tokens pass the edge and every service.
    `certificate_ttl`: how long each workload certificate lives (renewed at half that)."""
    topology = load_topology()
    if services is not None:
        topology = topology.only(set(services))
    with mesh_on_free_ports(
        topology,
        workdir,
        instances=instances,
        app_env={**trusting_env(), **(app_env or {})},
        registry_env=registry_env,
        certificate_ttl=certificate_ttl,
        trace_export=trace_export,
    ) as mesh:
        yield mesh


def address(running: RunningInstance) -> str:
    """How Envoys and the registry know an instance: its sidecar inbound `host:port`."""
    return running.instance.inbound_address


def registry_get(mesh: Mesh, path: str) -> httpx.Response:
    """A GET on the registry's REST API through its sidecar, as the operator (mTLS)."""
    context = mesh.operator.ssl_context()
    with httpx.Client(verify=context, trust_env=False, timeout=2) as client:
        return client.get(f"{mesh.registry_url}{path}")


def registered(mesh: Mesh) -> dict[str, set[str]]:
    """GET /api/registry/services: service -> ids of its registered instances."""
    response = registry_get(mesh, "/api/registry/services")
    response.raise_for_status()
    return {s["name"]: {i["id"] for i in s["instances"]} for s in response.json()}


def registered_or_none(mesh: Mesh) -> dict[str, set[str]] | None:
    """`registered`, or None while the registry does not answer."""
    try:
        return registered(mesh)
    except httpx.HTTPError:
        return None


# --- Envoy admin ----------------------------------------------------------------------------


def stats(envoy: EnvoyProcess, pattern: str | None = None) -> dict[str, int]:
    """Counters and gauges from /stats?format=json (histograms and text stats left out),
    optionally only those whose name matches the regex `pattern`."""
    query = "format=json" + (f"&filter={urllib.parse.quote(pattern)}" if pattern else "")
    entries = json.loads(envoy.admin(f"/stats?{query}"))["stats"]
    return {
        e["name"]: int(e.get("value", 0))
        for e in entries
        if "name" in e and isinstance(e.get("value", 0), int)
    }


def stat(envoy: EnvoyProcess, name: str) -> int:
    """One counter or gauge; 0 when Envoy has not created it (nothing counted yet)."""
    return stats(envoy, f"^{_regex_escape(name)}$").get(name, 0)


def _regex_escape(name: str) -> str:
    return name.replace(".", r"\.")


@dataclass(frozen=True)
class Host:
    """One upstream host of a cluster as /clusters?format=json shows it."""

    address: str  # host:port
    eds_health: str  # what the registry pushed: HEALTHY, UNHEALTHY, DRAINING
    failed: frozenset[str]  # health flags set: failed_active_health_check, failed_outlier_check…
    counters: Mapping[str, int]  # rq_total, rq_success, rq_error, cx_connect_fail … (no HCs)

    @property
    def routable(self) -> bool:
        return self.eds_health == "HEALTHY" and not self.failed

    @property
    def rq_total(self) -> int:
        return self.counters.get("rq_total", 0)


def hosts(envoy: EnvoyProcess, cluster: str) -> dict[str, Host]:
    """address -> Host, for every host `envoy` has in `cluster` (empty if none)."""
    for status in json.loads(envoy.admin("/clusters?format=json")).get("cluster_statuses", []):
        if status["name"] == cluster:
            return {h.address: h for h in map(_host, status.get("host_statuses", []))}
    return {}


def _host(raw: Mapping[str, Any]) -> Host:
    socket_address = raw["address"]["socket_address"]
    health = dict(raw.get("health_status", {}))
    eds = str(health.pop("eds_health_status", ""))
    return Host(
        address=f"{socket_address['address']}:{socket_address['port_value']}",
        eds_health=eds,
        failed=frozenset(flag for flag, value in health.items() if value is True),
        counters={s["name"]: int(s.get("value", 0)) for s in raw.get("stats", [])},
    )


def host_requests(envoy: EnvoyProcess, cluster: str) -> dict[str, int]:
    """address -> requests `envoy` routed to it (load-balanced requests; health checks are not
    counted). A host Envoy no longer has is absent."""
    return {a: h.rq_total for a, h in hosts(envoy, cluster).items()}


def uptime(envoy: EnvoyProcess) -> tuple[int, int]:
    """(server.hot_restart_epoch, server.uptime seconds): a restarted Envoy shows a new epoch or
    a smaller uptime."""
    values = stats(envoy, r"^server\.(hot_restart_epoch|uptime)$")
    return values.get("server.hot_restart_epoch", 0), values["server.uptime"]


# --- waiting --------------------------------------------------------------------------------


def poll(condition: Callable[[], Any], what: str, within: float) -> float:
    """Call `condition` until it returns something truthy; the seconds that took. Fails the test
    with `what` after `within` seconds. Never a fixed sleep: it returns as soon as it holds."""
    started = time.monotonic()
    while True:
        if condition():
            return time.monotonic() - started
        if time.monotonic() - started > within:
            raise AssertionError(f"not {what} within {within}s")
        time.sleep(POLL_INTERVAL_SECONDS)


def poll_for(condition: Callable[[], T | None], what: str, within: float) -> T:
    """`poll`, for what `condition` returns once it returns something."""
    seen: list[T] = []

    def holds() -> bool:
        value = condition()
        if value:
            seen.append(value)
        return bool(value)

    poll(holds, what, within)
    return seen[-1]


# --- load -----------------------------------------------------------------------------------

Send = Callable[[httpx.Client, int], httpx.Response]


@dataclass(frozen=True)
class Outcome:
    kind: str  # which request function sent it (e.g. "GET", "POST")
    started: float  # time.monotonic() when sent
    finished: float
    status: int | None  # None: no HTTP answer (the error says why)
    error: str = ""  # "<exception type>: <message>" when there was no HTTP answer


@dataclass
class LoadReport:
    outcomes: list[Outcome]
    ok: frozenset[int]
    started: float
    finished: float

    def of(self, kind: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.kind == kind]

    def failures(self, kind: str | None = None) -> list[Outcome]:
        return [
            o for o in self.outcomes if (kind is None or o.kind == kind) and o.status not in self.ok
        ]

    @property
    def sent(self) -> int:
        return len(self.outcomes)

    def summary(self, kind: str | None = None) -> str:
        chosen = self.outcomes if kind is None else self.of(kind)
        statuses = Counter(o.status if o.status is not None else o.error for o in chosen)
        seconds = self.finished - self.started
        rate = len(chosen) / seconds if seconds > 0 else 0.0
        label = f"{kind} " if kind else ""
        return (
            f"{label}requests sent {len(chosen)} in {seconds:.2f}s ({rate:.0f}/s), "
            f"failed {len(self.failures(kind))}, outcomes {dict(statuses)}"
        )


@dataclass
class Load:
    """Concurrent requests on loopback for at most `duration` seconds (≤ MAX_LOAD_SECONDS), or
    until `stop()`.

    `senders` maps a kind to a function sending one request with a worker's own keep-alive
    client; `workers` threads per kind. Every request's outcome is recorded, errors included.
    Use as a context manager: load runs in the background during the `with` body; `report()`
    stops it (bounded) and returns what happened."""

    senders: Mapping[str, Send]
    workers: int | Mapping[str, int] = 8  # threads per kind, or one count for each kind
    duration: float = 5.0
    ok: frozenset[int] = frozenset({200})
    # A worker's least seconds from one request's start to the next's: 0 sends back to back
    # (as fast as the machine allows); more leaves CPU for what the test watches.
    interval: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _outcomes: list[Outcome] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _started: float = 0.0
    _finished: float = 0.0

    def __post_init__(self) -> None:
        if not 0 < self.duration <= MAX_LOAD_SECONDS:
            raise ValueError(f"duration must be in (0, {MAX_LOAD_SECONDS}] s")

    def __enter__(self) -> Load:
        self._started = time.monotonic()
        deadline = self._started + self.duration
        for kind, send in self.senders.items():
            count = self.workers if isinstance(self.workers, int) else self.workers[kind]
            for number in range(count):
                thread = threading.Thread(
                    target=self._work, args=(kind, send, deadline), name=f"load-{kind}-{number}"
                )
                thread.start()
                self._threads.append(thread)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _work(self, kind: str, send: Send, deadline: float) -> None:
        sequence = 0
        with httpx.Client(trust_env=False, timeout=REQUEST_TIMEOUT_SECONDS) as client:
            while not self._stop.is_set() and time.monotonic() < deadline:
                started = time.monotonic()
                try:
                    status, error = send(client, sequence).status_code, ""
                except Exception as exc:  # recorded, never lost: it is what the test is about
                    status, error = None, f"{type(exc).__name__}: {exc}"[:100]
                outcome = Outcome(kind, started, time.monotonic(), status, error)
                with self._lock:
                    self._outcomes.append(outcome)
                sequence += 1
                if self.interval > 0:
                    self._stop.wait(started + self.interval - time.monotonic())

    @property
    def sent(self) -> int:
        with self._lock:
            return len(self._outcomes)

    @property
    def running(self) -> bool:
        """Still sending: neither stopped nor past its duration."""
        return not self._stop.is_set() and time.monotonic() < self._started + self.duration

    def stop(self) -> None:
        """Stop now: no new requests; in-flight ones finish (each bounded by its timeout)."""
        self._stop.set()
        for thread in self._threads:
            thread.join(REQUEST_TIMEOUT_SECONDS + 1)
        if self._finished == 0.0:
            with self._lock:
                ends = [o.finished for o in self._outcomes]
            self._finished = max(ends, default=time.monotonic())

    def wait(self) -> LoadReport:
        """Let the load run to its duration, then the report."""
        for thread in self._threads:
            thread.join(max(0.0, self._started + self.duration - time.monotonic()) + 1)
        return self.report()

    def report(self) -> LoadReport:
        self.stop()
        assert not any(t.is_alive() for t in self._threads), "a load worker did not finish"
        with self._lock:
            outcomes = sorted(self._outcomes, key=lambda o: o.started)
        return LoadReport(outcomes, self.ok, self._started, self._finished)


def get(path: str, base_url: str) -> Send:
    url = f"{base_url}{path}"
    return lambda client, _: client.get(url)


@dataclass(frozen=True)
class Mint:
    """One mint `keyed_mints` sent: its Idempotency-Key (its NFT's name too, so a mint applied
    twice would show), the attempts it took, and the last one's status (None: no answer)."""

    key: str
    attempts: int
    status: int | None


def keyed_mints(
    mesh: Mesh, owner: uuid.UUID, tag: str, mints: list[Mint], *, attempts: int = 1
) -> Send:
    """A `Load` sender minting one NFT for `owner` through the edge per call, each with its own
    key (`<tag>-<n>-<random>`). A 5xx or no answer is tried again with the same key, as a client
    should, up to `attempts` times in all. Each mint is appended to `mints` when done (the
    workers share it: list.append is atomic); the last attempt's answer or error is returned
    (raised)."""
    url, auth = f"{mesh.edge_url}/api/nfts", bearer(owner)

    def mint(client: httpx.Client, n: int) -> httpx.Response:
        key = f"{tag}-{n}-{uuid.uuid4().hex[:12]}"
        body = {"name": key, "metadata": {"image": f"https://img.example/{tag}.png"}}
        headers = {**auth, "Idempotency-Key": key}
        for attempt in range(1, attempts + 1):
            try:
                response = client.post(url, json=body, headers=headers)
            except httpx.TransportError:
                if attempt < attempts:
                    continue
                mints.append(Mint(key, attempt, None))
                raise
            if response.status_code < 500 or attempt == attempts:
                mints.append(Mint(key, attempt, response.status_code))
                return response
        raise AssertionError("unreachable: the last attempt returns or raises")

    return mint


def owned_nfts(mesh: Mesh, owner: uuid.UUID) -> list[dict[str, Any]]:
    """Every NFT `owner` has, page by page, through the edge."""
    found: list[dict[str, Any]] = []
    with httpx.Client(base_url=mesh.edge_url, trust_env=False, timeout=10) as client:
        while True:
            page = client.get(
                f"/api/nfts/user/{owner}", params={"limit": PAGE, "offset": len(found)}
            )
            assert page.status_code == 200, page.text
            found += page.json()
            if len(page.json()) < PAGE:
                return found
