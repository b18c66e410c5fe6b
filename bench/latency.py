"""Added latency per hop: one DB-backed read (GET /api/nfts/user/{id}, 10 NFTs) sent direct
to the app, through a peer's sidecar egress as a calling service would (user's sidecar -> mTLS
-> nft's sidecar -> app), and through the edge (edge -> mTLS -> sidecar -> app); plus Envoy
alone (the edge answering its own 404, no upstream). Apps on loopback ports for "direct"
(`private_apps=False`: the sidecar -> app hop is TCP, not the default's Unix socket); the
sidecar's inbound alone is not a path any more: it takes only mTLS callers holding a mesh
certificate, which wrk cannot present. wrk, fixed duration, 1 and 16
connections, the paths interleaved over a few short rounds so that a change of background
load hits them all alike. Then the three paths at a fixed request rate (an open loop, see
bench/open_loop.py): half the direct app's capacity measured just before at 16 connections,
or BENCH_FIXED_RATE req/s."""

from __future__ import annotations

import os
import sys

from bench.common import (
    WRK_INSTALL,
    LoadResult,
    compare,
    http_load,
    interleaved_rounds,
    ms,
    running_mesh,
    seed_nfts,
    table,
    wait_routed,
)
from bench.open_loop import CONNECTIONS as OPEN_LOOP_CONNECTIONS
from bench.open_loop import OpenLoopResult, open_loop
from mesh.topology import HOST

TITLE = "Added latency per hop"
COMMAND = "python -m bench.latency"
NFTS = 10
# connections -> (rounds, seconds per round and path); a path's figures are the median of its
# rounds'. Many short rounds at 1 connection, where the per-hop latency is read.
PLAN = {1: (5, 1), 16: (2, 2)}
CONNECTIONS = tuple(PLAN)
WARM_UP_SECONDS = 1
BASELINE = "Envoy alone (edge 404)"
DIRECT = "direct (app)"
PEER = "peer sidecar → sidecar → app"  # as user calls nft: its egress, then mTLS
HOPS = (DIRECT, PEER, "edge → sidecar → app")
CALLER = "user"  # a service that calls nft over REST (mesh.yaml), so nft's sidecar admits it
# Fixed rate: (rounds, seconds per round and path), the paths interleaved; each round starts
# with a warm-up that opens the client's connections. Percentiles over all rounds' requests.
FIXED_PLAN = (2, 3)
FIXED_WARM_UP_SECONDS = 0.5
FIXED_RATE_ENV = "BENCH_FIXED_RATE"  # req/s; unset: half the direct capacity at 16 conns


def measure() -> str:
    with running_mesh({"nft": 1, CALLER: 1}, private_apps=False) as mesh:
        nft = mesh.instances["nft"][0]
        egress = mesh.instances[CALLER][0].instance.ports.egress["nft"]
        owner = seed_nfts(nft.app.url, NFTS)
        path = f"/api/nfts/user/{owner}"
        wait_routed(mesh.edge_url + path)
        wait_routed(f"http://{HOST}:{egress}{path}")
        paths = {
            DIRECT: nft.app.url + path,
            PEER: f"http://{HOST}:{egress}{path}",
            HOPS[2]: mesh.edge_url + path,
            BASELINE: mesh.edge_url + "/bench/no-route",
        }
        for label in (DIRECT, HOPS[2]):  # the latter warms the sidecar
            http_load(paths[label], max(CONNECTIONS), WARM_UP_SECONDS)
        results = interleaved_rounds(paths, PLAN, once=frozenset({BASELINE}))
        capacity = results[DIRECT, max(CONNECTIONS)].rps
        rate = fixed_rate(capacity)
        fixed = fixed_rate_rounds({label: paths[label] for label in HOPS}, rate)
    closed_text = report(list(paths), results)  # first: its figures lead the side-by-side
    fixed_text = fixed_report(fixed, rate, capacity)
    return closed_text + "\n### At a fixed rate (open loop)\n\n" + fixed_text


def fixed_rate(capacity: float) -> float:
    """BENCH_FIXED_RATE, or half the direct capacity rounded to 10 req/s: low enough that
    every path keeps up (the edge path's capacity is ~0.8 of direct), so the figures are
    latency, not queueing behind a saturated app."""
    if configured := os.environ.get(FIXED_RATE_ENV):
        return float(configured)
    return max(10.0, round(capacity / 2 / 10) * 10)


def fixed_rate_rounds(paths: dict[str, str], rate: float) -> dict[str, OpenLoopResult]:
    rounds, seconds = FIXED_PLAN
    print(f"   fixed rate {rate:g} req/s: {rounds} rounds", file=sys.stderr)
    runs: dict[str, list[OpenLoopResult]] = {}
    for _ in range(rounds):
        for label, url in paths.items():
            result = open_loop(url, rate, seconds, warm_up=FIXED_WARM_UP_SECONDS)
            runs.setdefault(label, []).append(result)
    return {label: OpenLoopResult.pooled(results) for label, results in runs.items()}


def report(labels: list[str], results: dict[tuple[str, int], LoadResult]) -> str:
    rows = []
    for connections in CONNECTIONS:
        direct = results[DIRECT, connections]
        for n, label in enumerate(labels):
            r = results[label, connections]
            added = ["", ""]
            if 0 < n < len(HOPS):
                before = results[HOPS[n - 1], connections]
                added = [f"{r.p50_ms - before.p50_ms:+.2f}", f"{r.p99_ms - before.p99_ms:+.2f}"]
            if n > 0:
                record_closed_loop(label, r, direct)
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
        "minus the row above. Direct: apps on loopback ports (`running_mesh(..., "
        "private_apps=False)`), so sidecar → app is TCP here, not the default Unix socket. "
        f"'{PEER}': {CALLER}'s sidecar egress to nft, then mTLS to nft's sidecar (a peer's "
        "call; two Envoys, like the edge path: the sidecar's inbound alone admits only mTLS "
        "callers with a mesh certificate, which wrk cannot present). The 404 row is the edge "
        "answering by itself (its 'errors' are those 404s): the floor of one Envoy on this "
        "machine. "
        "At 16 connections the single app process is saturated; the Envoys' CPU is taken from "
        "the same 2 cores, so there the hop cost is mostly throughput lost.\n"
    )
    return warning + table(header, rows) + notes


def record_closed_loop(label: str, r: LoadResult, direct: LoadResult) -> None:
    """p50, p99 and req/s of a path next to direct's, for the report's side-by-side table.
    Envoy alone: latency only (its req/s, ~30x direct's, would only squash the plot)."""
    figure = f"REST read, {r.connections} conn."
    compare(TITLE, f"{figure} p50", label, r.p50_ms, DIRECT, direct.p50_ms, "ms")
    compare(TITLE, f"{figure} p99", label, r.p99_ms, DIRECT, direct.p99_ms, "ms")
    if label != BASELINE:
        rps = f"{figure} req/s"
        compare(TITLE, rps, label, r.rps, DIRECT, direct.rps, "req/s", higher_is_better=True)


def fixed_report(results: dict[str, OpenLoopResult], rate: float, capacity: float) -> str:
    header = [
        "path",
        "rate req/s",
        "achieved req/s",
        "p50 ms",
        "p99 ms",
        "hop +p50 ms",
        "hop +p99 ms",
        "p50 ÷ direct",
        "p99 ÷ direct",
        "requests",
        "errors",
    ]
    return table(header, fixed_rows(results, rate)) + fixed_notes(rate, capacity)


def fixed_rows(results: dict[str, OpenLoopResult], rate: float) -> list[list[object]]:
    """One row per hop path; each path but direct recorded next to direct's p50 and p99."""
    direct = results[DIRECT]
    figure = f"REST read at {rate:g} req/s (open loop)"
    rows: list[list[object]] = []
    for n, label in enumerate(HOPS):
        r = results[label]
        added = ["", ""]
        if n > 0:
            before = results[HOPS[n - 1]]
            added = [f"{r.p50_ms - before.p50_ms:+.2f}", f"{r.p99_ms - before.p99_ms:+.2f}"]
            compare(TITLE, f"{figure} p50", label, r.p50_ms, DIRECT, direct.p50_ms, "ms")
            compare(TITLE, f"{figure} p99", label, r.p99_ms, DIRECT, direct.p99_ms, "ms")
        rows.append(
            [
                label,
                f"{rate:g}",
                f"{r.achieved_rps:.0f}",
                ms(r.p50_ms),
                ms(r.p99_ms),
                *added,
                f"{r.p50_ms / direct.p50_ms:.2f}",
                f"{r.p99_ms / direct.p99_ms:.2f}",
                r.requests,
                r.errors,
            ]
        )
    return rows


def fixed_notes(rate: float, capacity: float) -> str:
    rounds, seconds = FIXED_PLAN
    chosen = (
        f"set by {FIXED_RATE_ENV}"
        if os.environ.get(FIXED_RATE_ENV)
        else f"half the direct app's {capacity:.0f} req/s at 16 connections above, rounded to 10"
    )
    return (
        f"\nFixed rate: {rate:g} req/s ({chosen}). Open loop (bench/open_loop.py): request n "
        "is sent at start + n/rate whether or not earlier ones have answered, over at most "
        f"{OPEN_LOOP_CONNECTIONS} keep-alive connections; its latency runs from that scheduled "
        "time (coordinated omission corrected: a stall counts for every request it delayed). "
        f"{rounds} rounds x {seconds} s per path, the paths interleaved, each round after a "
        f"{FIXED_WARM_UP_SECONDS} s warm-up; p50/p99 over all the rounds' requests. Errors: "
        "statuses >= 400, socket errors, no answer within 5 s. 'achieved' below the rate means "
        "the path did not keep up (then its latencies are mostly queueing).\n"
    )


if __name__ == "__main__":
    from bench.common import main

    sys.exit(main(sys.modules[__name__]))
