"""Tuning, before vs after in the same run: each knob's old and new setting side by side,
interleaved over short rounds (A, B, B, A, ...; medians) so background load hits both alike.

- The app's event loop: `serve()` ran every service on `asyncio.run`'s default loop; it now
  runs on what `uvicorn.run` would pick (uvloop; httptools was already the HTTP parser).
  Two nft apps on one SQLite file, `CAPSURE_EVENT_LOOP=asyncio` (before) and the default
  (after), `GET /api/nfts/user/{id}` (10 NFTs) direct; plus each app's CPU per request from
  /proc, which background load disturbs far less than req/s.
- The JWKS refetch (a new token key, or the cache expired): it built an httpx client per
  fetch (loading the CA bundle, CPU that blocks the event loop) and a new connection; now one
  client built at start-up is kept. A local JWKS server, time per fetch.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from bench.common import compare, cpu_seconds, ms, seed_nfts, table, trusting_env, wrk
from mesh.ports import free_port
from mesh.processes import ManagedProcess, http_status, spawn
from services.common.jwks import RemoteJwks
from services.user.adapters.signing_keys import FileKeyring

TITLE = "Tuning: before vs after"
COMMAND = "python -m bench.tuning"
NFTS = 10
# connections -> rounds; each round runs both variants for ROUND_SECONDS, in alternating order.
PLAN = {1: 10, 16: 6}
ROUND_SECONDS = 1
JWKS_FETCHES = 15  # per variant


@dataclass
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float  # the measured process's CPU time per request
    errors: int


def run(url: str, connections: int, pid: int) -> Run:
    before = cpu_seconds(pid)
    result = wrk(url, connections, ROUND_SECONDS)
    cpu = cpu_seconds(pid) - before
    return Run(
        result.rps,
        result.p50_ms,
        result.p99_ms,
        cpu * 1e3 / max(result.requests, 1),
        result.errors,
    )


def interleaved(variants: Mapping[str, tuple[str, int]]) -> dict[tuple[str, int], Run]:
    """label -> (url, pid of the app serving it); the median of the rounds per label."""
    runs: dict[tuple[str, int], list[Run]] = {}
    labels = list(variants)
    for connections, rounds in PLAN.items():
        for n in range(rounds):
            for label in labels if n % 2 == 0 else reversed(labels):
                url, pid = variants[label]
                runs.setdefault((label, connections), []).append(run(url, connections, pid))
    return {
        key: Run(
            statistics.median(r.rps for r in rs),
            statistics.median(r.p50_ms for r in rs),
            statistics.median(r.p99_ms for r in rs),
            statistics.median(r.cpu_ms for r in rs),
            sum(r.errors for r in rs),
        )
        for key, rs in runs.items()
    }


def rows(results: dict[tuple[str, int], Run]) -> list[list[object]]:
    return [
        [label, c, f"{r.rps:.0f}", ms(r.p50_ms), ms(r.p99_ms), f"{r.cpu_ms:.2f}", r.errors]
        for (label, c), r in sorted(results.items(), key=lambda item: item[0][1])
    ]


def record(figure: str, results: dict[tuple[str, int], Run], before: str, after: str) -> None:
    for connections in PLAN:
        old, new = results[before, connections], results[after, connections]
        where = f"{connections} conn."
        compare(TITLE, f"{figure}: req/s, {where}", f"after: {after}", new.rps,
                f"before: {before}", old.rps, "req/s", higher_is_better=True)  # fmt: skip
        compare(TITLE, f"{figure}: p50, {where}", f"after: {after}", new.p50_ms,
                f"before: {before}", old.p50_ms, "ms")  # fmt: skip
        compare(TITLE, f"{figure}: app CPU per request, {where}", f"after: {after}",
                new.cpu_ms, f"before: {before}", old.cpu_ms, "ms")  # fmt: skip


HEADER = ["variant", "conns", "req/s", "p50 ms", "p99 ms", "CPU ms/req", "errors"]


def bench_jwks() -> bytes:
    """The JWKS of the key bench.common signs its tokens with."""
    keys_dir = Path(trusting_env()["USER_SIGNING_KEYS_DIR"])
    keyring = FileKeyring(keys_dir, activation_seconds=0, retire_after_seconds=3600)
    return json.dumps(keyring.jwks()).encode()


# --- the event loop ----------------------------------------------------------------------


@contextmanager
def nft_apps(
    variants: Mapping[str, Mapping[str, str]], workdir: Path
) -> Iterator[dict[str, tuple[str, int]]]:
    """One standalone nft app per variant (its env on top), all on one SQLite file; started
    one after another (the first migrates). Tokens are checked against the benchmarks' key,
    published as a JWKS file. Notification is not there: the outbox keeps its events."""
    jwks = workdir / "jwks.json"
    jwks.write_bytes(bench_jwks())
    apps: dict[str, tuple[str, ManagedProcess]] = {}
    try:
        for label, extra in variants.items():
            port = free_port()
            env = {
                "NFT_HOST": "127.0.0.1",
                "NFT_PORT": str(port),
                "NFT_DATA_DIR": str(workdir / "data"),
                "NFT_LOG_LEVEL": "WARNING",
                "CAPSURE_JWKS_URL": jwks.as_uri(),
                "NOTIFICATION_ADDR": f"127.0.0.1:{free_port()}",
                "USER_ADDR": f"127.0.0.1:{free_port()}",
                **extra,
            }
            name = f"nft-{len(apps)}"
            process = spawn(name, [sys.executable, "-m", "services.nft"], env, workdir / "log")
            url = f"http://127.0.0.1:{port}"
            apps[label] = (url, process)
            process.wait_until(lambda u=url: http_status(f"{u}/healthz") == 200, "healthy")
        yield {label: (url, process.pid) for label, (url, process) in apps.items()}
    finally:
        for _, process in apps.values():
            process.stop()


def measure_event_loop(workdir: Path) -> str:
    before, after = "asyncio loop", "uvloop (default)"
    variants = {before: {"CAPSURE_EVENT_LOOP": "asyncio"}, after: {}}
    with nft_apps(variants, workdir) as apps:
        owner = seed_nfts(apps[before][0], NFTS)
        path = f"/api/nfts/user/{owner}"
        targets = {label: (url + path, pid) for label, (url, pid) in apps.items()}
        for url, _ in targets.values():
            wrk(url, 4, 1)  # warm-up
        results = interleaved(targets)
    record("REST read direct", results, before, after)
    return (
        "### The app's event loop (direct to the nft app, httptools both)\n\n"
        + table(HEADER, rows(results))
        + "\nCPU ms/req: the app process's CPU time over the round ÷ its requests.\n"
    )


# --- the JWKS refetch --------------------------------------------------------------------


class _JwksHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle on, the body waits for the client's
    # delayed ACK (40 ms), which would hide what is measured. Envoy sets TCP_NODELAY too.
    disable_nagle_algorithm = True
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


async def _old_fetch(url: str) -> None:
    # What RemoteJwks._fetch did before: a client per fetch.
    async with httpx.AsyncClient(timeout=2.0) as client:
        response = await client.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        response.json()


async def _jwks_timings(url: str) -> tuple[list[float], list[float]]:
    jwks = RemoteJwks(url)
    old: list[float] = []
    new: list[float] = []
    for n in range(JWKS_FETCHES + 1):
        order = [(_old_fetch, old), (lambda _: jwks._fetch(), new)]
        for fetch, into in order if n % 2 == 0 else reversed(order):
            started = time.perf_counter()
            await fetch(url)
            if n:  # the first of each is a warm-up
                into.append(time.perf_counter() - started)
    return old, new


def measure_jwks() -> str:
    handler = type("Handler", (_JwksHandler,), {"body": bench_jwks()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
        old, new = asyncio.run(_jwks_timings(url))
    finally:
        server.shutdown()
        server.server_close()
    before, after = "httpx client per fetch", "one client, kept"
    p50_old, p50_new = statistics.median(old) * 1e3, statistics.median(new) * 1e3
    compare(TITLE, "JWKS refetch (a key rotation, cache expiry): time, p50", f"after: {after}",
            p50_new, f"before: {before}", p50_old, "ms")  # fmt: skip
    result_rows = [
        [before, len(old), ms(p50_old), ms(max(old) * 1e3)],
        [after, len(new), ms(p50_new), ms(max(new) * 1e3)],
    ]
    return (
        "### JWKS refetch (one verifier's fetch of the issuer's keys, local HTTP server)\n\n"
        + table(["variant", "fetches", "p50 ms", "max ms"], result_rows)
        + "\nThe request that triggers a refetch waits for it.\n"
    )


def measure() -> str:
    with tempfile.TemporaryDirectory(prefix="capsure-bench-tuning-") as workdir:
        sections = [measure_event_loop(Path(workdir)), measure_jwks()]
    rounds = ", ".join(f"{r} x {ROUND_SECONDS} s per variant at {c} conn." for c, r in PLAN.items())
    return (
        "\n".join(sections)
        + f"\nwrk, keep-alive; rounds {rounds}, the variants alternating; medians of the "
        f"rounds. GET /api/nfts/user/{{id}} returns {NFTS} NFTs from SQLite.\n"
    )


if __name__ == "__main__":
    from bench.common import main

    sys.exit(main(sys.modules[__name__]))
