"""Memory per process of a running mesh: every Envoy (edge, sidecars, the registry's sidecar),
every app and the registry, from /proc/<pid>/smaps_rollup (Linux), after a little traffic
through the edge.

RSS counts shared pages in full (the 100+ MB Envoy binary is mapped by every Envoy); PSS
splits them between the processes sharing them, so PSS adds up to what the mesh really uses."""

from __future__ import annotations

import sys
import time
from contextlib import ExitStack
from uuid import uuid4

from bench.common import (
    ClosedLoop,
    bearer,
    compare,
    running_mesh,
    smaps_rollup,
    table,
    wait_routed,
)

TITLE = "Memory per process (RSS, PSS)"
COMMAND = "python -m bench.memory"
INSTANCES = {"nft": 1, "user": 1, "analytics": 1, "trading": 1}
WARM_SECONDS = 2.0


def measure() -> str:
    with running_mesh(INSTANCES) as mesh:
        assert mesh.edge is not None and mesh.registry is not None
        assert mesh.registry_sidecar is not None
        edge = mesh.edge_url
        calls = [  # each service, and user -> nft through the user's sidecar egress
            (f"{edge}/api/nfts/user/{uuid4()}", {}),
            (f"{edge}/api/analytics/assets", {}),
            (f"{edge}/api/trading/market-data/ETH-USD", {}),
            (f"{edge}/api/users/me/nfts", bearer(uuid4())),
        ]
        for url, _ in calls[:3]:
            wait_routed(url)
        with ExitStack() as stack:
            loads = [stack.enter_context(ClosedLoop(url, 1, headers)) for url, headers in calls]
            time.sleep(WARM_SECONDS)
        requests = sum(len(load.samples) for load in loads)
        failed = sum(not s.ok for load in loads for s in load.samples)
        instances = [group[0] for _, group in sorted(mesh.instances.items())]
        processes = [
            ("edge Envoy (2 workers)", "envoy", mesh.edge.pid),
            *[(f"{i.id} sidecar Envoy (1 worker)", "envoy", i.sidecar.pid) for i in instances],
            ("registry sidecar Envoy (1 worker)", "envoy", mesh.registry_sidecar.pid),
            *[(f"{i.id} app", "app", i.app.pid) for i in instances],
            ("registry", "app", mesh.registry.pid),
        ]
        rows, totals = [], {"envoy": [0, 0], "app": [0, 0]}
        pss: dict[str, int] = {}
        for label, kind, pid in processes:
            m = smaps_rollup(pid)
            pss[label] = m["Pss"]
            rows.append([label, mib(m["Rss"]), mib(m["Pss"]), mib(m.get("Pss_Anon", 0))])
            totals[kind][0] += m["Rss"]
            totals[kind][1] += m["Pss"]
    record(processes, pss, totals["envoy"][1], totals["app"][1])
    rows.append(["all Envoys", mib(totals["envoy"][0]), f"**{mib(totals['envoy'][1])}**", ""])
    rows.append(["all Python processes", mib(totals["app"][0]), f"**{mib(totals['app'][1])}**", ""])
    notes = (
        f"\nOne instance of each service ({len(processes)} processes, "
        f"{sum(kind == 'envoy' for _, kind, _ in processes)} Envoys sharing one binary: the "
        f"edge, a sidecar per instance and the registry's), after {WARM_SECONDS:.0f} s of "
        f"traffic through the edge to each service ({requests} requests, {failed} failed). "
        "Pss_Anon is the process's own heap and stacks; the PSS of an Envoy falls as more "
        "Envoys share the binary's pages.\n"
    )
    return table(["process", "RSS MiB", "PSS MiB", "Pss_Anon MiB"], rows) + notes


def record(
    processes: list[tuple[str, str, int]], pss: dict[str, int], envoys: int, python: int
) -> None:
    """PSS side by side: each app against the registry (a Python process of the same framework
    with no database), each sidecar against the edge Envoy, all Envoys against all Python."""
    edge, registry = processes[0][0], processes[-1][0]
    for label, kind, _ in processes[1:-1]:
        baseline = edge if kind == "envoy" else registry
        compare(
            section=TITLE,
            figure="PSS",
            label=label,
            value=pss[label] / 1024,
            baseline_label=baseline,
            baseline=pss[baseline] / 1024,
            unit="MiB",
        )
    compare(
        section=TITLE,
        figure="PSS, one instance of each service",
        label="all Envoys",
        value=envoys / 1024,
        baseline_label="all Python processes",
        baseline=python / 1024,
        unit="MiB",
    )


def mib(kib: int) -> str:
    return f"{kib / 1024:.1f}"


if __name__ == "__main__":
    from bench.common import main

    sys.exit(main(sys.modules[__name__]))
