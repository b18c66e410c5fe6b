"""Registry push to N Envoys: the registry behind its sidecar, and N sidecar Envoys (the real
bootstrap of `mesh.envoy.sidecar_config`, for made-up instances of `user`, whose one EDS
cluster is `nft`) subscribed to its ADS. An instance of nft is registered (PUT on the
registry's REST API, as an app's registrar does) and later deregistered (DELETE); each time,
how long until every Envoy's admin /clusters shows the change. N grows 1, 2, 5, 10, 20 on one
registry (Envoys are added, not restarted), so the same control plane pushes to more and more
streams.

Through the real, authenticated control plane: every made-up instance registers as itself (a
client certificate the mesh's node agent issued for that instance, over mTLS to the registry's
sidecar), and every made-up sidecar subscribes with its own identity (mTLS; its node is the
instance its certificate names)."""

from __future__ import annotations

import http.client
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.common import compare, table
from bench.mesh_clients import MeshHttps, client_context, workload_identity
from mesh.envoy import sidecar_config
from mesh.envoy.tls import MeshTls
from mesh.identity.agent import Workload
from mesh.ports import free_port
from mesh.processes import EnvoyProcess, start_envoy, stop_together
from mesh.runner import Mesh, MeshPorts
from mesh.topology import HOST, Instance, InstancePorts, Topology, load_topology
from services.common.workload_identity import spiffe_id

TITLE = "Registry push to N Envoys"
COMMAND = "python -m bench.registry_push"
COUNTS = (1, 2, 5, 10, 20)
ROUNDS = 5  # register + deregister, per N
SUBSCRIBER = "user"  # its sidecar has one EDS cluster: its egress to nft
CLUSTER = "nft"
PUSH_TIMEOUT = 10.0
PAUSE_SECONDS = 0.1  # between changes: the previous push has settled everywhere
# Made-up instances never heartbeat: a long TTL keeps them (the push is measured, not expiry);
# no xDS warm-up (it protects a restarted registry's Envoys, not measured here).
REGISTRY_ENV = {"REGISTRY_INSTANCE_TTL_SECONDS": "600", "REGISTRY_XDS_WARMUP_SECONDS": "0"}


@dataclass
class Change:
    """One register or deregister: seconds from the request sent to each Envoy showing it."""

    kind: str  # "register" | "deregister"
    envoys: int
    # The REST call itself, on a connection opened before (it returns once the registry has
    # published).
    request_seconds: float
    seen: list[float]
    sweep_seconds: float  # one poll of every Envoy: the resolution of `seen`


class Registrant:
    """A made-up instance of CLUSTER writing its own registration, as its registrar would: with
    the certificate the node agent issued for it, through the registry's sidecar (mTLS). The
    connection is opened up front, so a timed call is the request alone."""

    def __init__(self, mesh: Mesh, instance: str) -> None:
        self.path = f"/api/registry/services/{CLUSTER}/instances/{instance}"
        identity = workload_identity(mesh, instance, CLUSTER)
        self._registry = MeshHttps(mesh.registry_url, client_context(identity)).connect()

    def register(self, address: str) -> None:
        host, port = address.rsplit(":", 1)
        body = {"host": host, "port": int(port), "status": "SERVING"}
        status, answer = self._registry.request("PUT", self.path, body)
        assert status in (200, 201), (status, answer[:300])

    def deregister(self) -> None:
        status, answer = self._registry.request("DELETE", self.path)
        assert status == 204, (status, answer[:300])

    def close(self) -> None:
        self._registry.close()


class AdminPoller:
    """Keep-alive connections to every Envoy's admin: cheap enough to sweep 20 in a few ms."""

    def __init__(self, admin_ports: Sequence[int]) -> None:
        self._connections = [http.client.HTTPConnection(HOST, p, timeout=2) for p in admin_ports]

    def clusters_text(self, index: int) -> str:
        connection = self._connections[index]
        try:
            connection.request("GET", "/clusters")
            return connection.getresponse().read().decode()
        except (OSError, http.client.HTTPException):
            connection.close()  # reconnects on the next request
            return ""

    def close(self) -> None:
        for connection in self._connections:
            connection.close()


def measure() -> str:
    topology = load_topology()
    changes: list[Change] = []
    with tempfile.TemporaryDirectory(prefix="capsure-bench-") as workdir:
        mesh = Mesh(topology, MeshPorts.free(), free_port, Path(workdir), registry_env=REGISTRY_ENV)
        envoys: list[EnvoyProcess] = []
        try:
            mesh.start_registry()  # and its sidecar, on the mesh's registry ports
            # An endpoint every Envoy must show before it counts: its ADS stream is up.
            anchor, registrant = f"{HOST}:{free_port()}", Registrant(mesh, "anchor")
            registrant.register(anchor)
            registrant.close()
            for count in COUNTS:
                print(f"   {count} Envoys", file=sys.stderr, flush=True)
                start_subscribers(mesh, topology, envoys, count - len(envoys))
                changes += measure_count(mesh, envoys, anchor)
        finally:
            stop_together(list(envoys))
            mesh.stop()
    return report(changes)


def start_subscribers(
    mesh: Mesh, topology: Topology, envoys: list[EnvoyProcess], count: int
) -> None:
    """`count` more sidecars of made-up `user` instances, each with its own identity from the
    node agent, appended to `envoys` as they are spawned (so the caller's `finally` stops
    them), all spawned before any is awaited."""
    assert mesh.agent is not None  # the registry's start made it
    spec = topology.services[SUBSCRIBER]
    first = len(envoys)
    for n in range(first, first + count):
        instance = Instance(spec, f"push-{n + 1}", InstancePorts.allocate(spec, free_port))
        identity = Workload(instance.id, spiffe_id(SUBSCRIBER), hosts=(HOST,))
        tls = MeshTls(mesh.agent.provision(identity).resolve())
        config = sidecar_config(topology, instance, mesh.control_plane, tls=tls)
        run_dir, log_dir = mesh.workdir / "envoy", mesh.workdir / "log"
        envoys.append(start_envoy(instance.id, config, instance.ports.admin, run_dir, log_dir))
    for envoy in envoys[first:]:
        envoy.wait_ready()


def measure_count(mesh: Mesh, envoys: list[EnvoyProcess], anchor: str) -> list[Change]:
    poller = AdminPoller([e.admin_port for e in envoys])
    try:
        wait_all(poller, len(envoys), anchor, present=True, since=time.monotonic())
        changes = []
        for n in range(ROUNDS):
            address = f"{HOST}:{free_port()}"
            registrant = Registrant(mesh, f"push-probe-{len(envoys)}-{n}")
            try:
                time.sleep(PAUSE_SECONDS)
                changes.append(timed_change("register", registrant, poller, len(envoys),
                                            address))  # fmt: skip
                time.sleep(PAUSE_SECONDS)
                changes.append(timed_change("deregister", registrant, poller, len(envoys),
                                            address))  # fmt: skip
            finally:
                registrant.close()
        return changes
    finally:
        poller.close()


def timed_change(
    kind: str, registrant: Registrant, poller: AdminPoller, count: int, address: str
) -> Change:
    started = time.monotonic()
    if kind == "register":
        registrant.register(address)
    else:
        registrant.deregister()
    request = time.monotonic() - started
    seen, sweep = wait_all(poller, count, address, present=kind == "register", since=started)
    return Change(kind, count, request, seen, sweep)


def wait_all(
    poller: AdminPoller, count: int, address: str, *, present: bool, since: float
) -> tuple[list[float], float]:
    """Sweep the Envoys not yet showing the change until all do: seconds after `since` at which
    each read showed it (an upper bound), and the median sweep time (the resolution)."""
    marker = f"{CLUSTER}::{address}::"
    seen: dict[int, float] = {}
    sweeps: list[float] = []
    while len(seen) < count:
        sweep_started = time.monotonic()
        if sweep_started - since > PUSH_TIMEOUT:
            raise TimeoutError(f"{count - len(seen)} of {count} Envoys never showed {address}")
        # A different Envoy first in each sweep: no Envoy is always read last.
        for index in ((len(sweeps) + k) % count for k in range(count)):
            if index not in seen and (marker in poller.clusters_text(index)) == present:
                seen[index] = time.monotonic() - since
        sweeps.append(time.monotonic() - sweep_started)
    return [seen[i] for i in range(count)], statistics.median(sweeps)


# --- report -------------------------------------------------------------------------------


@dataclass
class Summary:
    median_ms: float  # median over rounds of the median Envoy
    max_ms: float  # median over rounds of the last Envoy
    worst_ms: float  # the last Envoy of the slowest round
    request_ms: float
    sweep_ms: float


def summarise(changes: Sequence[Change], kind: str, count: int) -> Summary:
    mine = [c for c in changes if c.kind == kind and c.envoys == count]
    return Summary(
        statistics.median(statistics.median(c.seen) for c in mine) * 1e3,
        statistics.median(max(c.seen) for c in mine) * 1e3,
        max(max(c.seen) for c in mine) * 1e3,
        statistics.median(c.request_seconds for c in mine) * 1e3,
        statistics.median(c.sweep_seconds for c in mine) * 1e3,
    )


def report(changes: Sequence[Change]) -> str:
    counts = sorted({c.envoys for c in changes})
    rows = []
    for kind in ("register", "deregister"):
        base = summarise(changes, kind, counts[0])
        for count in counts:
            s = summarise(changes, kind, count)
            rows.append(
                [kind, count, f"{s.request_ms:.1f}", f"{s.median_ms:.1f}", f"**{s.max_ms:.1f}**",
                 f"{s.worst_ms:.1f}", f"{s.max_ms / base.max_ms:.2f}", f"{s.sweep_ms:.1f}"]
            )  # fmt: skip
            if count != counts[0]:
                record(kind, count, counts[0], s, base)
    header = [
        "change", "Envoys", "REST call ms", "→ median Envoy ms", "→ last Envoy ms",
        "slowest round, last Envoy ms", "last ÷ 1 Envoy", "poll sweep ms",
    ]  # fmt: skip
    notes = (
        f"\nMedians over {ROUNDS} rounds per N. Each change is made by the instance itself "
        "(its own certificate from the node agent, mTLS to the registry's sidecar, on a "
        "connection opened before the timed call); each Envoy subscribes with its own identity "
        "(mTLS). Times from the REST call sent to the "
        "read of an Envoy's admin `/clusters` that first showed the endpoint (or its absence): "
        "an upper bound, late by up to one poll sweep (keep-alive reads of the Envoys not yet "
        "showing it, back to back; 'poll sweep ms'). The REST call returns once the registry "
        "has published (handed the new assignment to every ADS stream's writer). The sweep "
        "itself is one Python thread on the same 2 cores as the registry and the Envoys.\n"
    )
    return table(header, rows) + notes


def record(kind: str, count: int, base_count: int, s: Summary, base: Summary) -> None:
    """The last Envoy (both changes) and the median one (registrations) against 1 Envoy."""
    figures = [("last", s.max_ms, base.max_ms)]
    if kind == "register":
        figures.append(("median", s.median_ms, base.median_ms))
    for which, value, baseline in figures:
        compare(
            section=TITLE,
            figure=f"{kind} → {which} Envoy {'has it' if kind == 'register' else 'dropped it'}",
            label=f"{count} Envoys",
            value=value,
            baseline_label=f"{base_count} Envoy",
            baseline=baseline,
            unit="ms",
        )


if __name__ == "__main__":
    from bench.common import main

    sys.exit(main(sys.modules[__name__]))
