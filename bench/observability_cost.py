"""What seeing the mesh costs (issue 14): CPU per request of the seed's read through the edge
with the apps' metrics and tracing off, with metrics on (the default), and with every hop
traced too at the edge's sampling of 1 % and of 100 %.

Four meshes side by side (nft and the identity service, one instance each; the same NFTS
NFTs), each exporting to an OTLP receiver of its own when traced. wrk loads one mesh at a time
(16 keep-alive connections, SECONDS a round, ROUNDS rounds, the order turned every round); a
mesh's CPU per request is the utime + stime of all its Envoys and apps (/proc/<pid>/stat) over
its rounds, divided by the requests wrk counted. Envoy's own statistics and access lines stay
on in all four (an access line costs an Envoy 5-6 µs). Goal: ≤ 5 % more CPU per request with
metrics on and 1 % of requests traced than with both off."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field

from bench.common import (
    WRK_INSTALL,
    compare,
    cpu_seconds,
    ms,
    running_mesh,
    seed_nfts,
    table,
    wait_routed,
    wrk,
    wrk_path,
)
from mesh.envoy.tracing import TraceExport
from mesh.runner import Mesh
from mesh.trace_store import TraceStore, running_trace_store

TITLE = "Cost of tracing"
COMMAND = "python -m bench.observability_cost"
LIMIT_SECONDS = 420
NFTS = 10
# More rounds settle a figure on a noisy machine: BENCH_ROUNDS=6 doubles the run.
SECONDS, ROUNDS, CONNECTIONS = 8, int(os.environ.get("BENCH_ROUNDS", "3")), 16
OFF = {"CAPSURE_METRICS": "false"}
# Name -> the apps' extra settings and the edge's sampling percentage (None: no tracing).
VARIANTS: dict[str, tuple[dict[str, str], float | None]] = {
    "metrics and tracing off": (OFF, None),
    "metrics on": ({}, None),
    "metrics on, 1 % traced": ({}, 1.0),
    "metrics on, 100 % traced": ({}, 100.0),
}


@dataclass
class Variant:
    name: str
    mesh: Mesh
    receiver: TraceStore | None
    url: str = ""
    requests: int = 0
    cpu: dict[str, float] = field(default_factory=dict)  # by role: edge, sidecars, apps
    p99s: list[float] = field(default_factory=list)

    def pids(self) -> Iterator[tuple[str, int]]:
        assert self.mesh.edge is not None
        yield "edge", self.mesh.edge.pid
        for group in self.mesh.instances.values():
            for running in group:
                yield "apps", running.app.pid
                yield "sidecars", running.sidecar.pid

    def round(self) -> None:
        before = [(role, pid, cpu_seconds(pid)) for role, pid in self.pids()]
        load = wrk(self.url, CONNECTIONS, SECONDS)
        for role, pid, used in before:
            self.cpu[role] = self.cpu.get(role, 0.0) + cpu_seconds(pid) - used
        self.requests += load.requests
        self.p99s.append(load.p99_ms)

    def role_us(self, role: str) -> float:
        return self.cpu.get(role, 0.0) / max(self.requests, 1) * 1e6

    @property
    def cpu_us(self) -> float:
        return sum(self.cpu.values()) / max(self.requests, 1) * 1e6

    @property
    def rps(self) -> float:
        return self.requests / (SECONDS * ROUNDS)


def measure() -> str:
    if wrk_path() is None:
        return f"Not measured: {WRK_INSTALL}\n"
    variants: list[Variant] = []
    with ExitStack() as stack:
        for name, (app_env, percent) in VARIANTS.items():
            receiver = None if percent is None else stack.enter_context(running_trace_store())
            export = (
                None if receiver is None else TraceExport.from_endpoint(receiver.endpoint, percent)
            )
            mesh = stack.enter_context(running_mesh({"nft": 1}, app_env, trace_export=export))
            owner = seed_nfts(mesh.edge_url, NFTS)
            variant = Variant(name, mesh, receiver, f"{mesh.edge_url}/api/nfts/user/{owner}")
            wait_routed(variant.url)
            variants.append(variant)
        for number in range(ROUNDS):
            for variant in variants if number % 2 == 0 else reversed(variants):
                print(f"   round {number + 1}: {variant.name}", file=sys.stderr, flush=True)
                variant.round()
        spans = [len(v.receiver.spans()) if v.receiver else 0 for v in variants]
    off = variants[0]
    rows = []
    for variant, exported in zip(variants, spans, strict=True):
        more = variant.cpu_us / off.cpu_us - 1
        rows.append(
            [
                variant.name,
                f"{variant.rps:.0f}",
                f"{variant.cpu_us:.0f}",
                f"{more:+.1%}" if variant is not off else "-",
                *(f"{variant.role_us(role):.0f}" for role in ("edge", "sidecars", "apps")),
                ms(max(variant.p99s)),
                exported,
            ]
        )
        if variant is not off:
            compare(TITLE, "mesh CPU per request", variant.name, variant.cpu_us, off.name,
                    off.cpu_us, "µs")  # fmt: skip
    header = [
        *("variant", "req/s", "mesh CPU µs/request", "vs off"),
        *("edge µs", "sidecars µs", "apps µs", "p99 ms (worst round)", "spans"),
    ]
    return (
        f"`GET /api/nfts/user/{{id}}` ({NFTS} NFTs) through the edge, {CONNECTIONS} connections, "
        f"{ROUNDS} rounds of {SECONDS} s each, interleaved; CPU of the edge, every sidecar and "
        "every app.\n\n" + table(header, rows)
    )


if __name__ == "__main__":
    from bench.common import main

    sys.exit(main(sys.modules[__name__]))
