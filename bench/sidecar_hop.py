"""What one sidecar hop costs, and what of it the project's sidecar config adds (issue 13).

One Envoy in front of one app, wrk at 1 keep-alive connection straight to the Envoy's inbound:
the sidecar as `sidecar_config` makes it (plaintext: wrk cannot present a mesh certificate;
what mTLS, RBAC and the caller header add is bench.mtls_hop's), then the same config without
one of its features at a time (the fault filter, the local-reply mappers, the early removal of
x-envoy-* headers, path normalisation, the per-connection buffer limits), a plain Envoy (HTTP
connection manager + router only: the floor of any Envoy hop), the sidecar with 2 workers
(`--concurrency 2`, the mesh runs 1), and the sidecar reaching its app over a Unix socket (as
under `make run`) instead of TCP. Each beside the app alone, in front of two apps in the same
rounds: the small app (bench/fixed_body_app.py: the same 2.6 KB JSON, ≈ 30 µs of CPU a
request: the hop's own cost shows; every variant), the small app spending 1 ms of CPU in a busy
loop first (as slow as the real read with none of its code), and the real read
(bench/nft_read.py: nft's `GET /api/nfts/user/{id}`, 10 NFTs, TCP only); the last two behind
the mesh's sidecar, the plain Envoy and 2 workers.

The variants only measure: the mesh keeps every filter (RBAC, path normalisation, header
sanitising are security properties, tested in tests/integration/test_*envoy*.py). All paths
take turns in every round (the order reversed every other round); p50/p99 are the median of the
rounds', CPU per request (Envoy's and the app's, /proc/<pid>/stat) over all rounds."""

from __future__ import annotations

import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import (
    WRK_INSTALL,
    compare,
    cpu_seconds,
    get,
    ms,
    table,
    wrk,
    wrk_path,
)
from bench.fixed_body_app import running_fixed_body_app
from bench.hop_envoys import loopback_instance
from bench.nft_read import NFTS, running_nft_read
from mesh.envoy import sidecar_config
from mesh.envoy.clusters import ControlPlane
from mesh.envoy.common import Config, without_control_plane
from mesh.envoy.faults import FAULT_FILTER
from mesh.envoy.sidecar import INBOUND
from mesh.processes import EnvoyProcess, http_status, start_envoy, stop_together
from mesh.topology import HOST, load_topology

TITLE = "One sidecar hop: what the config adds"
COMMAND = "python -m bench.sidecar_hop"
LIMIT_SECONDS = 400
ROUNDS = 6
SECONDS = 1
GOAL_P50_MS, GOAL_P99_MS = 0.15, 0.5  # issue 13: one hop at 1 connection

APP = "app alone"
MESH = "sidecar (the mesh's config)"
PLAIN = "plain Envoy (router only)"
UDS = "sidecar, Unix socket to the app"


def _inbound_manager(config: Config) -> Config:
    (inbound,) = (x for x in config["static_resources"]["listeners"] if x["name"] == INBOUND)
    manager: Config = inbound["filter_chains"][0]["filters"][0]["typed_config"]
    return manager


def without_fault_filter(config: Config) -> Config:
    manager = _inbound_manager(config)
    manager["http_filters"] = [f for f in manager["http_filters"] if f["name"] != FAULT_FILTER]
    return config


def without_local_replies(config: Config) -> Config:
    _inbound_manager(config).pop("local_reply_config", None)
    return config


def without_header_removal(config: Config) -> Config:
    _inbound_manager(config).pop("early_header_mutation_extensions", None)
    return config


def without_path_normalisation(config: Config) -> Config:
    manager = _inbound_manager(config)
    for option in ("normalize_path", "merge_slashes", "path_with_escaped_slashes_action"):
        manager.pop(option, None)
    return config


def without_buffer_limits(config: Config) -> Config:
    resources = config["static_resources"]
    for item in (*resources["listeners"], *resources["clusters"]):
        item.pop("per_connection_buffer_limit_bytes", None)
    return config


def router_only(config: Config) -> Config:
    """The HTTP connection manager with nothing of the mesh's: HTTP/1.1, the router."""
    for strip in (
        without_fault_filter,
        without_local_replies,
        without_header_removal,
        without_path_normalisation,
        without_buffer_limits,
    ):
        config = strip(config)
    manager = _inbound_manager(config)
    manager["codec_type"] = "HTTP1"
    manager.pop("common_http_protocol_options", None)
    return config


def unchanged(config: Config) -> Config:
    return config


@dataclass(frozen=True)
class Variant:
    change: Callable[[Config], Config]
    concurrency: int = 1
    unix_socket: bool = False  # the app over a Unix socket (small app only)


VARIANTS = {
    MESH: Variant(unchanged),
    "without the fault filter": Variant(without_fault_filter),
    "without local-reply mappers": Variant(without_local_replies),
    "without x-envoy-* removal": Variant(without_header_removal),
    "without path normalisation": Variant(without_path_normalisation),
    "without buffer limits": Variant(without_buffer_limits),
    PLAIN: Variant(router_only),
    "sidecar, --concurrency 2": Variant(unchanged, concurrency=2),
    UDS: Variant(unchanged, unix_socket=True),
}


@dataclass(frozen=True)
class Target:
    url: str
    envoy_pid: int | None
    app_pid: int


@dataclass
class Rounds:
    p50s: list[float] = field(default_factory=list)
    p99s: list[float] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0
    envoy_cpu: float = 0.0
    app_cpu: float = 0.0
    errors: int = 0

    @property
    def p50(self) -> float:
        return statistics.median(self.p50s)

    @property
    def p99(self) -> float:
        return statistics.median(self.p99s)

    def per_request_us(self, seconds: float) -> float:
        return seconds * 1e6 / self.requests if self.requests else float("nan")


def measure() -> str:
    if wrk_path() is None:
        return f"**Skipped**: wrk is not installed ({WRK_INSTALL}).\n"
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="capsure-bench-")))
        targets, same = stack.enter_context(running_paths(workdir))
        results = interleaved(targets)
    return report(results, same)


@dataclass(frozen=True)
class App:
    """An app the hops stand in front of: where it listens, what to ask, which variants."""

    name: str
    port: int
    path: str
    pid: int
    variants: tuple[str, ...]
    socket: Path | None = None


SPIN_US = 1000  # the small app made as slow as the real read, in CPU, with none of its code
# The real read's app writes its headers, then ~0.1 ms later (its middleware stack) the body.
GAP_US = 100
COMPARED = (MESH, PLAIN, "sidecar, --concurrency 2")


@contextmanager
def running_apps(workdir: Path) -> Iterator[list[App]]:
    with ExitStack() as stack:
        socket = workdir / "sockets" / "fixed.sock"
        log = workdir / "log"
        small_url, small = stack.enter_context(running_fixed_body_app(log, socket))
        spin_url, spin = stack.enter_context(running_fixed_body_app(log, spin_us=SPIN_US))
        gap_url, gap = stack.enter_context(
            running_fixed_body_app(log, spin_us=SPIN_US - GAP_US, gap_us=GAP_US)
        )
        read = stack.enter_context(running_nft_read(workdir))
        yield [
            App("small app", _port(small_url), "/", small.pid, tuple(VARIANTS), socket),
            App(f"small app + {SPIN_US} µs CPU", _port(spin_url), "/", spin.pid, COMPARED),
            App(
                f"small app + {SPIN_US} µs CPU, {GAP_US} of them between headers and body",
                _port(gap_url),
                "/",
                gap.pid,
                COMPARED,
            ),
            App(f"real read ({NFTS} NFTs)", read.port, read.path, read.app.pid, COMPARED),
        ]


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


@contextmanager
def running_paths(workdir: Path) -> Iterator[tuple[dict[tuple[str, str], Target], str]]:
    """(app, path label) -> the path; and a note on whether every path answered alike."""
    topology = load_topology()
    with ExitStack() as stack:
        envoys: list[EnvoyProcess] = []
        stack.callback(stop_together, envoys)
        apps = stack.enter_context(running_apps(workdir))
        paths: dict[tuple[str, str], Target] = {}
        for app in apps:
            paths[app.name, APP] = Target(f"http://{HOST}:{app.port}{app.path}", None, app.pid)
            for label in app.variants:
                variant = VARIANTS[label]
                if variant.unix_socket and app.socket is None:
                    continue
                name = f"nft-{len(envoys)}"
                upstream = app.socket if variant.unix_socket else app.port
                instance = loopback_instance(topology, "nft", name, upstream)
                config = sidecar_config(topology, instance, ControlPlane.nowhere(), tls=None)
                config = variant.change(without_control_plane(config, {}))
                envoy = start_envoy(
                    name, config, instance.ports.admin, workdir, workdir / "log",
                    concurrency=variant.concurrency,
                )  # fmt: skip
                envoys.append(envoy)
                url = f"http://{HOST}:{instance.ports.inbound}{app.path}"
                paths[app.name, label] = Target(url, envoy.pid, app.pid)
        for envoy in envoys:
            envoy.wait_ready()
        answers = {key: get(p.url) for key, p in paths.items()}
        alike = all(
            status == 200 and body == answers[app_name, APP][1]
            for (app_name, _), (status, body) in answers.items()
        )
        yield (
            paths,
            "every path answered 200 and the app's bytes"
            if alike
            else (
                f"**not every path answered alike**: { {k: s for k, (s, _) in answers.items()} }"
            ),
        )


def interleaved(paths: dict[tuple[str, str], Target]) -> dict[tuple[str, str], Rounds]:
    for path in paths.values():
        assert http_status(path.url) == 200, path.url
        wrk(path.url, 1, 1)  # warm-up: pools, caches
    results = {key: Rounds() for key in paths}
    order = list(paths)
    for n in range(ROUNDS):
        print(f"   round {n + 1}/{ROUNDS}", file=sys.stderr, flush=True)
        for key in order if n % 2 == 0 else order[::-1]:
            path, into = paths[key], results[key]
            envoy_before = cpu_seconds(path.envoy_pid) if path.envoy_pid else 0.0
            app_before = cpu_seconds(path.app_pid)
            result = wrk(path.url, 1, SECONDS)
            if path.envoy_pid:
                into.envoy_cpu += cpu_seconds(path.envoy_pid) - envoy_before
            into.app_cpu += cpu_seconds(path.app_pid) - app_before
            into.requests += result.requests
            into.seconds += result.seconds
            into.errors += result.errors
            into.p50s.append(result.p50_ms)
            into.p99s.append(result.p99_ms)
    return results


def report(results: dict[tuple[str, str], Rounds], same: str) -> str:
    header = ["app", "path", "p50 ms", "p99 ms", "hop +p50 ms", "hop +p99 ms", "req/s",
              "Envoy CPU µs/req", "app CPU µs/req", "errors"]  # fmt: skip
    rows = []
    for (app_name, label), r in results.items():
        alone = results[app_name, APP]
        hop = label != APP
        rows.append([
            app_name, label, ms(r.p50), ms(r.p99),
            f"{r.p50 - alone.p50:+.3f}" if hop else "", f"{r.p99 - alone.p99:+.3f}" if hop else "",
            f"{r.requests / r.seconds:.0f}", f"{r.per_request_us(r.envoy_cpu):.0f}" if hop else "",
            f"{r.per_request_us(r.app_cpu):.0f}", r.errors,
        ])  # fmt: skip
    record(results)
    goals = []
    for app_name in dict.fromkeys(a for a, _ in results):
        mesh, alone = results[app_name, MESH], results[app_name, APP]
        p50, p99 = mesh.p50 - alone.p50, mesh.p99 - alone.p99
        verdict = "met" if p50 <= GOAL_P50_MS and p99 <= GOAL_P99_MS else "missed"
        goals.append(f"{app_name}: {p50:+.3f} / {p99:+.3f} ms, {verdict}")
    return (
        f"{table(header, rows)}\n"
        f"Goal (issue 13): one hop ≤ +{GOAL_P50_MS} ms p50 and ≤ +{GOAL_P99_MS} ms p99 at 1 "
        f"connection; the mesh's sidecar: {'; '.join(goals)}. "
        f"wrk, 1 keep-alive connection, {ROUNDS} rounds x {SECONDS} s per path, the paths "
        "interleaved (order reversed every other round); p50/p99 the median of the rounds', "
        "'hop +' against the app alone in the same rounds; CPU per request over all rounds. "
        "Plaintext Envoys: wrk is the caller (the mesh's mTLS, RBAC and caller header are "
        f"bench.mtls_hop's). One Envoy per path. {same}. "
        "The variants that drop a feature only measure it: the mesh keeps them all.\n"
    )


def record(results: dict[tuple[str, str], Rounds]) -> None:
    for app_name in dict.fromkeys(a for a, _ in results):
        mesh = results[app_name, MESH]
        compare(TITLE, f"p50, 1 conn., {app_name}", MESH, mesh.p50, APP,
                results[app_name, APP].p50, "ms")  # fmt: skip
        for label in VARIANTS:
            if label == MESH or (app_name, label) not in results:
                continue
            other = results[app_name, label]
            compare(TITLE, f"Envoy CPU/request, 1 conn., {app_name}", label,
                    other.per_request_us(other.envoy_cpu), MESH,
                    mesh.per_request_us(mesh.envoy_cpu), "µs")  # fmt: skip


if __name__ == "__main__":
    from bench.common import main

    sys.exit(main(sys.modules[__name__]))
