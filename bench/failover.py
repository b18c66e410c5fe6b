"""Kill -9 one of two instances under steady load: how long until the edge stops routing to
it (its host flags in the edge's /clusters, polled every ~10 ms) and how many client requests
fail meanwhile. Two crashes, one after the other on one mesh (an instance is added between
them): the whole instance (app and sidecar: the edge's connections are refused), then an app
alone (its sidecar answers 503s)."""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass
from uuid import uuid4

from bench.common import (
    ClosedLoop,
    Sample,
    cluster_hosts,
    compare,
    envoy_stats,
    percentile,
    running_mesh,
    table,
    wait_for,
)
from mesh.runner import RunningInstance

TITLE = "Failover: kill -9 one of two instances"
COMMAND = "python -m bench.failover"
WORKERS = 16  # Python client threads, each a keep-alive connection calling the edge
STEADY_SECONDS = 2.0  # load before the kill
AFTER_SECONDS = 6.0  # load after it: past the registry's 5 s TTL, so the host leaves EDS too
POLL_SECONDS = 0.01
RETRIES = "cluster.nft.upstream_rq_retry"

CRASHES = {
    "app + sidecar": RunningInstance.kill,
    "app only": lambda running: running.app.kill(),
}


@dataclass
class Outcome:
    crash: str
    ejected_ms: float | None
    flags: str
    removed_ms: float | None  # gone from the edge's cluster (registry TTL -> EDS)
    retries: int  # the edge's retries after the kill
    samples: list[Sample]
    killed_at: float


def measure() -> str:
    outcomes = []
    with running_mesh({"nft": 2}) as mesh:
        admin = mesh.ports.edge_admin
        url = f"{mesh.edge_url}/api/nfts/user/{uuid4()}"

        def two_healthy() -> bool:
            hosts = cluster_hosts(admin, "nft").values()
            return len(hosts) == 2 and not any(h.failures() for h in hosts)

        for n, (crash, kill) in enumerate(CRASHES.items()):
            print(f"   {crash}", file=sys.stderr, flush=True)
            if n:  # back to two live instances (the crashed one has left EDS by now)
                mesh.add_instance("nft")
            wait_for(two_healthy, "two instances healthy at the edge")
            victim = next(r for r in mesh.instances["nft"] if r.app.running)
            address = victim.instance.inbound_address
            with ClosedLoop(url, WORKERS) as load:
                time.sleep(STEADY_SECONDS)
                retries = envoy_stats(admin, RETRIES).get(RETRIES, 0)
                killed_at = time.time()
                kill(victim)
                ejected, flags, removed = watch(admin, address, killed_at)
                retries = envoy_stats(admin, RETRIES).get(RETRIES, 0) - retries
            outcome = Outcome(crash, ejected, flags, removed, retries, load.samples, killed_at)
            outcomes.append(outcome)
    return report(outcomes)


def watch(admin: int, address: str, killed_at: float) -> tuple[float | None, str, float | None]:
    """Poll the edge until AFTER_SECONDS past the kill: when the host first got a failure
    flag (and which), when it left the cluster."""
    ejected = removed = None
    flags = ""
    while time.time() < killed_at + AFTER_SECONDS:
        with contextlib.suppress(OSError, ValueError):
            host = cluster_hosts(admin, "nft").get(address)
            now = time.time()
            if host is None and removed is None:
                removed = (now - killed_at) * 1e3
                ejected = ejected or removed
            elif host is not None and host.failures() and ejected is None:
                ejected, flags = (now - killed_at) * 1e3, ", ".join(host.failures())
        time.sleep(POLL_SECONDS)
    return ejected, flags, removed


def report(outcomes: list[Outcome]) -> str:
    rows = []
    for o in outcomes:
        failed = [s for s in o.samples if not s.ok]
        window = ""
        if failed:
            first = (min(s.started for s in failed) - o.killed_at) * 1e3
            last = (max(s.started for s in failed) - o.killed_at) * 1e3
            window = f"{first:.0f} … {last:.0f}"
        around = [s.seconds for s in o.samples if abs(s.started - o.killed_at) < 1.0]
        kinds = sorted({str(s.status) if s.status else s.error.split("(")[0] for s in failed})
        rows.append(
            [
                o.crash,
                "—" if o.ejected_ms is None else f"**{o.ejected_ms:.0f}**",
                o.flags or "—",
                "—" if o.removed_ms is None else f"{o.removed_ms:.0f}",
                len(o.samples),
                f"**{len(failed)}**",
                o.retries,
                ", ".join(kinds) or "—",
                window or "—",
                f"{max(around, default=0) * 1e3:.0f}",
            ]
        )
        record(o, len(failed), max(around, default=0) * 1e3)
    header = [
        "crash",
        "kill → flagged at edge ms",
        "flags",
        "kill → out of EDS ms",
        "requests",
        "failed",
        "edge retries after kill",
        "failures",
        "failed requests sent at ms",
        "max latency ±1 s of kill ms",
    ]
    notes = (
        f"\n{WORKERS} Python client threads (keep-alive, back to back) on GET "
        f"/api/nfts/user/{{id}} through the edge; {STEADY_SECONDS:.0f} s steady, kill -9, "
        f"{AFTER_SECONDS:.0f} s more. 'Failed' = a socket error or a status >= 400 reaching the "
        "client. The edge retries idempotent requests on another host (5xx, reset, connect "
        "failure), so a crash costs latency rather than errors. The edge's /clusters polled "
        f"every {POLL_SECONDS * 1e3:.0f} ms plus the read (~10-20 ms resolution); the host "
        "leaves the cluster when the registry's 5 s TTL drops it.\n"
    )
    return table(header, rows) + notes


def record(o: Outcome, failed: int, around_max_ms: float) -> None:
    """Failed requests against all of them; the edge flagging the host against the registry's
    TTL taking it out of EDS; the worst latency around the kill against the steady p99."""
    compare(
        section=TITLE,
        figure=f"{o.crash}: failed requests",
        label="failed",
        value=failed,
        baseline_label="all requests",
        baseline=len(o.samples),
        unit="requests",
    )
    if o.ejected_ms is not None and o.removed_ms is not None:
        compare(
            section=TITLE,
            figure=f"{o.crash}: kill → edge stops routing to it",
            label="flagged at the edge",
            value=o.ejected_ms,
            baseline_label="out of EDS (registry TTL)",
            baseline=o.removed_ms,
            unit="ms",
        )
    steady = sorted(s.seconds for s in o.samples if s.started < o.killed_at - 0.1 and s.ok)
    if steady:
        compare(
            section=TITLE,
            figure=f"{o.crash}: worst latency",
            label="max within ±1 s of the kill",
            value=around_max_ms,
            baseline_label="p99 before the kill",
            baseline=percentile(steady, 99) * 1e3,
            unit="ms",
        )


if __name__ == "__main__":
    from bench.common import main

    sys.exit(main(sys.modules[__name__]))
