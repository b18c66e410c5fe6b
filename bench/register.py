"""Register -> first routed request: Mesh.add_instance("nft") while clients keep calling the
edge; from the registration (the registry's own registeredAt) to the first request the edge
routed to the new instance (per-host rq_total in the edge's /clusters) and the first answer
it got from it (rq_success); the edge's health checks are not counted there. The registry is
read through its sidecar as the operator (mTLS, one keep-alive connection).

And from the call (`make add-instance`) to that first answer: rounds alternate between an app
forked by the preloaded parent (mesh/zygote.py, the default) and one spawned as its own
interpreter (`mesh.preload = False`, as before it)."""

from __future__ import annotations

import contextlib
import json
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from bench.common import (
    ClosedLoop,
    cluster_hosts,
    compare,
    running_mesh,
    table,
    wait_routed,
)
from bench.mesh_clients import MeshHttps, operator_registry
from mesh.runner import Mesh

TITLE = "Register → first routed request"
COMMAND = "python -m bench.register"
ROUNDS = 3
WORKERS = 2  # client threads calling the edge back to back
POLL_SECONDS = 0.005  # registry and edge admin, one after the other
ROUND_TIMEOUT = 40.0  # add_instance waits up to 30 s for the app to be ready
ROUTED_TIMEOUT = 5.0  # after add_instance returned (the instance is registered)
SERVICE_PATH = "/api/registry/services/nft"
VARIANTS = ("preloaded", "spawned")


@dataclass
class Round:
    variant: str = "preloaded"  # or "spawned"
    instance: str = ""
    address: str = ""
    started: float = 0.0  # add_instance called (all times: time.time(), one host)
    registered: float | None = None  # the registry's registeredAt
    seen_in_registry: float | None = None
    edge_knows: float | None = None  # the host is in the edge's cluster (EDS pushed)
    edge_healthy: float | None = None  # ... with no failure flag (first health check passed)
    first_routed: float | None = None  # ... the edge sent it a request
    first_served: float | None = None  # ... and had a (non-5xx) answer from it
    add_returned: float = 0.0


def measure() -> str:
    with running_mesh({"nft": 1}) as mesh:
        url = f"{mesh.edge_url}/api/nfts/user/{uuid4()}"
        wait_routed(url)
        rounds = []
        with ClosedLoop(url, WORKERS) as load:
            time.sleep(0.5)
            for n in range(ROUNDS):
                for variant in VARIANTS:
                    print(f"   round {n + 1}, {variant}", file=sys.stderr, flush=True)
                    mesh.preload = variant == "preloaded"
                    rounds.append(one_round(mesh, variant))
    errors = sum(not s.ok for s in load.samples)
    return report(rounds, len(load.samples), errors)


def one_round(mesh: Mesh, variant: str) -> Round:
    with contextlib.closing(operator_registry(mesh).connect()) as registry:
        return watched_round(mesh, registry, variant)


def watched_round(mesh: Mesh, registry: MeshHttps, variant: str) -> Round:
    before = {i["id"] for i in json.loads(registry.get(SERVICE_PATH)[1])["instances"]}
    record = Round(variant)
    done = threading.Event()

    def watch() -> None:
        deadline = time.time() + ROUND_TIMEOUT
        while not done.is_set() and time.time() < deadline:
            with contextlib.suppress(OSError, ValueError, KeyError):
                poll(registry, before, record, mesh.ports.edge_admin)
                if record.first_served is not None:
                    return
            time.sleep(POLL_SECONDS)

    watcher = threading.Thread(target=watch, name="watch", daemon=True)
    record.started = time.time()
    watcher.start()
    try:
        record.instance = mesh.add_instance("nft").id
        record.add_returned = time.time()
        watcher.join(ROUTED_TIMEOUT)
    finally:
        done.set()
    return record


def poll(registry: MeshHttps, before: set[str], record: Round, edge_admin: int) -> None:
    """One round of reads; each state is timed when the read that showed it returned."""
    if record.seen_in_registry is None:
        listed = json.loads(registry.get(SERVICE_PATH)[1])["instances"]
        new = [i for i in listed if i["id"] not in before]
        if not new:
            return
        record.seen_in_registry = time.time()
        record.registered = datetime.fromisoformat(new[0]["registeredAt"]).timestamp()
        record.address = f"{new[0]['host']}:{new[0]['port']}"
    host = cluster_hosts(edge_admin, "nft").get(record.address)
    now = time.time()
    if host is None:
        return
    record.edge_knows = record.edge_knows or now
    if not host.failures():
        record.edge_healthy = record.edge_healthy or now
    if host.stats.get("rq_total", 0) > 0:
        record.first_routed = record.first_routed or now
    if host.stats.get("rq_success", 0) > 0:
        record.first_served = now


def report(rounds: list[Round], requests: int, errors: int) -> str:
    def after(t: float | None, origin: float | None) -> str:
        return "—" if t is None or origin is None else f"{(t - origin) * 1e3:.0f}"

    rows = [
        [
            r.instance,
            r.variant,
            f"**{after(r.first_served, r.started)}**",
            after(r.registered, r.started),
            after(r.seen_in_registry, r.registered),
            after(r.edge_knows, r.registered),
            after(r.edge_healthy, r.registered),
            after(r.first_routed, r.registered),
            f"**{after(r.first_served, r.registered)}**",
        ]
        for r in rounds
    ]
    for variant in VARIANTS:
        ours = [r for r in rounds if r.variant == variant]
        total, firsts = _median_ms(ours, "started"), _median_ms(ours, "registered")
        if total is not None and firsts is not None:
            rows.append(["median", variant, f"**{total:.0f}**", "", "", "", "", "",
                         f"**{firsts:.0f}**"])  # fmt: skip
    record(rounds)
    header = [
        "instance",
        "app",
        "add_instance → first answer ms",
        "add_instance → registered ms",
        "registered → seen by poller ms",
        "→ in edge's EDS ms",
        "→ healthy at edge ms",
        "→ first request routed ms",
        "→ first answer ms",
    ]
    notes = (
        f"\nTimes after the registry's `registeredAt` (same host clock). Polling: registry "
        "(as the operator, through its sidecar: mTLS on one keep-alive connection), "
        f"then the edge's /clusters, every {POLL_SECONDS * 1e3:.0f} ms plus the two reads "
        "(each state timed when the read showing it returned: ~5-15 ms resolution). "
        f"Load: {WORKERS} Python clients calling the edge back to "
        f"back (GET /api/nfts/user/{{id}}); {requests} requests, {errors} failed. "
        "'add_instance → registered' is process start to ready (migrations checked, "
        "/healthz 200) plus the registrar's first PUT. The first answer of a new instance "
        "includes its first connections (edge → sidecar → app) and its cold first request. "
        "The instances added stay up, so round "
        "n balances over n+1 instances. 'preloaded': the app forked by the preloaded parent; "
        "'spawned': its own interpreter (rounds alternate).\n"
    )
    return table(header, rows) + notes


def _median_ms(rounds: list[Round], origin: str, state: str = "first_served") -> float | None:
    """The median over `rounds` of `state`'s time after `origin`'s, in ms."""
    times = [
        (getattr(r, state) - getattr(r, origin)) * 1e3
        for r in rounds
        if getattr(r, state) is not None and getattr(r, origin) is not None
    ]
    return statistics.median(times) if times else None


def record(rounds: list[Round]) -> None:
    """Medians over the rounds: add_instance → first answer, preloaded against spawned; and
    after `registeredAt`, healthy at the edge and first answer against the edge's EDS having
    the host (the push: the edge cannot route before it)."""
    preloaded = [r for r in rounds if r.variant == "preloaded"]
    spawned = [r for r in rounds if r.variant == "spawned"]
    forked, alone = _median_ms(preloaded, "started"), _median_ms(spawned, "started")
    if forked is not None and alone is not None:
        compare(TITLE, "add_instance → first answer", "preloaded", forked, "spawned", alone, "ms")

    def median_ms(state: str) -> float | None:
        return _median_ms(preloaded, "registered", state)

    pushed = median_ms("edge_knows")
    if not pushed:
        return
    for state, label in (("edge_healthy", "healthy at the edge"), ("first_served", "first answer")):
        if (value := median_ms(state)) is not None:
            compare(
                section=TITLE,
                figure=f"registered → {label}",
                label=label,
                value=value,
                baseline_label="in the edge's EDS",
                baseline=pushed,
                unit="ms",
            )


if __name__ == "__main__":
    from bench.common import main

    sys.exit(main(sys.modules[__name__]))
