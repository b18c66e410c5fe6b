"""Added latency per hop: one DB-backed read (GET /api/nfts/user/{id}, 10 NFTs) sent direct
to the app, to its sidecar's inbound listener, and to the edge (edge -> sidecar -> app); plus
Envoy alone (the edge answering its own 404, no upstream). wrk, fixed duration, 1 and 16
connections, the paths interleaved over a few short rounds so that a change of background
load hits them all alike."""

from __future__ import annotations

import statistics
import sys

from bench.common import (
    WRK_INSTALL,
    LoadResult,
    http_load,
    ms,
    running_mesh,
    seed_nfts,
    table,
    wait_routed,
)

TITLE = "Added latency per hop"
COMMAND = "python -m bench.latency"
NFTS = 10
# connections -> (rounds, seconds per round and path); a path's figures are the median of its
# rounds'. Many short rounds at 1 connection, where the per-hop latency is read.
PLAN = {1: (5, 1), 16: (2, 2)}
CONNECTIONS = tuple(PLAN)
WARM_UP_SECONDS = 1
BASELINE = "Envoy alone (edge 404)"


def measure() -> str:
    with running_mesh({"nft": 1}) as mesh:
        nft = mesh.instances["nft"][0]
        owner = seed_nfts(nft.app.url, NFTS)
        path = f"/api/nfts/user/{owner}"
        wait_routed(mesh.edge_url + path)
        paths = {
            "direct (app)": nft.app.url + path,
            "sidecar → app": f"http://{nft.instance.inbound_address}{path}",
            "edge → sidecar → app": mesh.edge_url + path,
            BASELINE: mesh.edge_url + "/bench/no-route",
        }
        for label in ("direct (app)", "edge → sidecar → app"):  # the latter warms the sidecar
            http_load(paths[label], max(CONNECTIONS), WARM_UP_SECONDS)
        runs: dict[tuple[str, int], list[LoadResult]] = {}
        for connections, (rounds, seconds) in PLAN.items():
            print(f"   {connections} connection(s): {rounds} rounds", file=sys.stderr)
            for n in range(rounds):
                for label, url in paths.items():
                    if label != BASELINE or n == 0:  # the baseline hardly varies: one round
                        result = http_load(url, connections, seconds)
                        runs.setdefault((label, connections), []).append(result)
    return report(list(paths), {key: merged(results) for key, results in runs.items()})


def merged(results: list[LoadResult]) -> LoadResult:
    """Requests and errors summed; p50 and p99 the median of the rounds'."""
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


def report(labels: list[str], results: dict[tuple[str, int], LoadResult]) -> str:
    rows = []
    hops = labels[:3]
    for connections in CONNECTIONS:
        direct = results[hops[0], connections]
        for n, label in enumerate(labels):
            r = results[label, connections]
            added = ["", ""]
            if 0 < n < len(hops):
                before = results[hops[n - 1], connections]
                added = [f"{r.p50_ms - before.p50_ms:+.2f}", f"{r.p99_ms - before.p99_ms:+.2f}"]
            rows.append(
                [
                    label,
                    connections,
                    ms(r.p50_ms),
                    ms(r.p99_ms),
                    f"{r.rps:.0f}",
                    *added,
                    f"{r.p50_ms / direct.p50_ms:.2f}",
                    f"{r.rps / direct.rps:.2f}",
                    r.errors,
                ]
            )
    tool = next(iter(results.values())).tool
    rounds_text = ", ".join(f"{r} x {s} s at {c} conn." for c, (r, s) in PLAN.items())
    warning = ""
    if tool != "wrk":
        warning = f"**No wrk ({WRK_INSTALL}): Python clients, whose own cost dominates.**\n\n"
    header = [
        "path",
        "conns",
        "p50 ms",
        "p99 ms",
        "req/s",
        "hop +p50 ms",
        "hop +p99 ms",
        "p50 ÷ direct",
        "req/s ÷ direct",
        "errors",
    ]
    notes = (
        f"\n{tool}, keep-alive, after a {WARM_UP_SECONDS} s warm-up. Rounds per path, the "
        f"paths interleaved: {rounds_text}; p50 and p99 are the median of the rounds' "
        "(Envoy alone: one round). "
        f"GET /api/nfts/user/{{id}} returns {NFTS} NFTs read from SQLite. 'hop +' = this row "
        "minus the row above (the Envoy just added). The 404 row is the edge answering by "
        "itself (its 'errors' are those 404s): the floor of one Envoy on this machine. "
        "At 16 connections the single app process is saturated; the Envoys' CPU is taken from "
        "the same 2 cores, so there the hop cost is mostly throughput lost.\n"
    )
    return warning + table(header, rows) + notes


if __name__ == "__main__":
    from bench.common import main

    sys.exit(main(sys.modules[__name__]))
