"""What mutual TLS costs per hop (issue 12): one mesh hop, a caller's sidecar (user's) to the
callee's sidecar (nft's) in front of one small app (bench/fixed_body_app.py: a fixed body, no
database), from the mesh's own `sidecar_config`, with the mesh's identity (mTLS, RBAC on the
callee's inbound, the caller in x-forwarded-client-cert: the hop as the mesh runs it) and
without (plaintext: the baseline); between them mTLS with neither RBAC nor the header, so the
TLS itself is told apart from the per-request checks. Beside them, in the same run, the
floors: the app alone and an Envoy answering by itself (a direct_response). And the same three
hops, in the same rounds, in front of the real read (bench/nft_read.py: the nft app answering
`GET /api/nfts/user/{id}` with 10 NFTs from SQLite, 2-4 ms of CPU a request): the small app
shows what the hop itself costs, the real read what it costs a service a platform runs.

wrk through each path, keep-alive: p50/p99 at 1 connection, req/s at 16, and each process's
CPU per request from /proc/<pid>/stat. wrk keeps its connection and Envoy pools its upstream
ones, so there the handshake is paid once; what a new hop connection costs is measured by
callers that open one for every request (the cluster's max_requests_per_connection = 1):
plaintext, mTLS resuming the TLS session, mTLS with a full handshake (no session cache). All
paths take turns within every round (the order reversed every other round), so a change of
background load hits them alike; p50/p99 are the median of the rounds', req/s and CPU per
request over all rounds."""

from __future__ import annotations

import statistics
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from bench.common import (
    WRK_INSTALL,
    LoadResult,
    compare,
    cpu_seconds,
    get,
    http_load,
    merged_rounds,
    ms,
    table,
)
from bench.fixed_body_app import BODY, running_fixed_body_app
from bench.hop_envoys import (
    CALLEE_CLUSTER,
    CallerVariant,
    Hop,
    running_envoy_alone,
    running_hops,
)
from bench.nft_read import NFTS, running_nft_read
from mesh.processes import EnvoyProcess

TITLE = "mTLS cost per hop"
COMMAND = "python -m bench.mtls_hop"
LIMIT_SECONDS = 300  # 16 Envoys and 4 apps to start, then ~135 s of rounds: ~165 s in all

PATH = "/api/nfts/user/00000000-0000-0000-0000-0000000003e8"  # a read user makes of nft
APP = "app alone"
ENVOY = "Envoy alone"
PLAIN = "plaintext hop"
TRANSPORT = "mTLS, transport only"
MTLS = "mTLS hop (the mesh's)"
PLAIN_NEW = "plaintext, new conn. per request"
RESUMED = "mTLS resumed, new conn. per request"
FULL = "mTLS full handshake, new conn. per request"
HOPS = (PLAIN, TRANSPORT, MTLS)


@dataclass(frozen=True)
class AppBehind:
    """An app the hops stand in front of: its name in the figures, and its paths' labels."""

    name: str
    prefix: str

    def label(self, path: str) -> str:
        return self.prefix + path

    @property
    def keep_alive(self) -> tuple[str, ...]:
        """The app alone, then the three hops in front of it."""
        return tuple(self.label(x) for x in (APP, *HOPS))


FIXED_BODY = AppBehind("fixed body", "")  # the hop's own cost
NFT_READ = AppBehind("nft read", "nft read: ")  # the hop in front of a real service's read
APPS = (FIXED_BODY, NFT_READ)
KEEP_ALIVE = (APP, ENVOY, PLAIN, TRANSPORT, MTLS, *NFT_READ.keep_alive)
NEW_CONNECTION = (PLAIN_NEW, RESUMED, FULL)
KEEP_ALIVE_CALLERS = (
    CallerVariant(PLAIN, secure=False),
    CallerVariant(TRANSPORT, secure=True, callee_checks=False),
    CallerVariant(MTLS, secure=True),
)
CALLERS = (
    *KEEP_ALIVE_CALLERS,
    CallerVariant(PLAIN_NEW, secure=False, new_connection_per_request=True),
    CallerVariant(RESUMED, secure=True, new_connection_per_request=True),
    CallerVariant(FULL, secure=True, new_connection_per_request=True, session_resumption=False),
)
NFT_READ_CALLERS = tuple(replace(v, label=NFT_READ.label(v.label)) for v in KEEP_ALIVE_CALLERS)
SECURE = {v.label: v.secure for v in (*CALLERS, *NFT_READ_CALLERS)}
# (connections, rounds, seconds per round and path, the paths), one after the other. Both
# apps' paths take turns in the same rounds.
PLAN: tuple[tuple[int, int, float, tuple[str, ...]], ...] = (
    (1, 6, 1, KEEP_ALIVE),
    (1, 3, 1, NEW_CONNECTION),  # what they show is 2-3x the keep-alive hop: fewer rounds do
    (16, 8, 1, KEEP_ALIVE),  # throughput swings with the machine's other load: more rounds
)
WARM_UP_SECONDS = 1
# The goals for the mesh's own (keep-alive) hop.
GOAL_ADDED_P50_MS = 0.1
GOAL_THROUGHPUT_RATIO = 0.95

APP_ROLE, ENVOY_ROLE, CALLER_ROLE, CALLEE_ROLE = "app", "Envoy", "caller Envoy", "callee Envoy"
HOP_ROLES = (CALLER_ROLE, CALLEE_ROLE)
ENVOY_ROLES = (ENVOY_ROLE, *HOP_ROLES)


@dataclass
class Target:
    url: str
    pids: dict[str, int]  # role -> pid of each process on the path, for its CPU


@dataclass
class Rounds:
    """One path at one connection count: every round's wrk result and the CPU each process on
    the path used during the rounds."""

    results: list[LoadResult] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)  # role -> seconds, over all rounds

    @property
    def merged(self) -> LoadResult:
        return merged_rounds(self.results)

    @property
    def rps(self) -> float:
        """The median of the rounds': a round that another process's burst slowed moves it
        less than it moves the mean."""
        return statistics.median(r.rps for r in self.results)

    def cpu_us(self, role: str) -> float:
        requests = sum(r.requests for r in self.results)
        return self.cpu.get(role, 0.0) * 1e6 / max(requests, 1)

    def envoys_cpu_us(self) -> float:
        return sum(self.cpu_us(role) for role in self.cpu if role != APP_ROLE)


Results = dict[tuple[str, int], Rounds]


def measure() -> str:
    with ExitStack() as stack:
        workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="capsure-bench-mtls-"))
        targets, hops = stack.enter_context(running_paths(Path(workdir)))
        same = same_answers(targets, NFT_READ.keep_alive)
        for label, target in targets.items():
            connections = max(c for c, _, _, labels in PLAN if label in labels)
            http_load(target.url, connections, WARM_UP_SECONDS)
        results = interleaved(targets)
        sessions = tls_sessions(hops)
    return report(results, sessions, same)


@contextmanager
def running_paths(workdir: Path) -> Iterator[tuple[dict[str, Target], dict[str, Hop]]]:
    """Every path of the plan, live: the small app, the Envoy alone, each caller variant's
    hop in front of the small app; the nft read alone and the keep-alive hops in front of it
    (their own Envoys, in a directory of their own: the same names, a CA of their own)."""
    with ExitStack() as stack:
        app_url, app = stack.enter_context(running_fixed_body_app(workdir / "log"))
        envoy_url, envoy = stack.enter_context(running_envoy_alone(BODY, workdir))
        app_port = int(app_url.rsplit(":", 1)[1])
        hops = stack.enter_context(running_hops(CALLERS, app_port, PATH, workdir))
        read = stack.enter_context(running_nft_read(workdir / "nft-read"))
        read_hops = stack.enter_context(
            running_hops(NFT_READ_CALLERS, read.port, read.path, workdir / "nft-read-hops")
        )
        targets = {
            APP: Target(app_url + PATH, {APP_ROLE: app.pid}),
            ENVOY: Target(envoy_url, {ENVOY_ROLE: envoy.pid}),
            **hop_targets(hops, app.pid),
            NFT_READ.label(APP): Target(read.url, {APP_ROLE: read.app.pid}),
            **hop_targets(read_hops, read.app.pid),
        }
        yield targets, {**hops, **read_hops}


def hop_targets(hops: Mapping[str, Hop], app_pid: int) -> dict[str, Target]:
    return {
        label: Target(
            hop.url, {APP_ROLE: app_pid, CALLER_ROLE: hop.caller.pid, CALLEE_ROLE: hop.callee.pid}
        )
        for label, hop in hops.items()
    }


def same_answers(targets: Mapping[str, Target], labels: tuple[str, ...]) -> str:
    """Whether every path of `labels` answers the first's 200 and bytes (the hops pass the
    read through untouched), for the report."""
    answers = [get(targets[label].url) for label in labels]
    if all(answer == answers[0] for answer in answers) and answers[0][0] == 200:
        return f"the same {len(answers[0][1])} bytes (200)"
    return "**different answers**: " + ", ".join(
        f"{label}: {status}, {len(body)} bytes"
        for label, (status, body) in zip(labels, answers, strict=True)
    )


def interleaved(targets: Mapping[str, Target]) -> Results:
    results: Results = {}
    for connections, rounds, seconds, labels in PLAN:
        print(f"   {connections} connection(s): {rounds} rounds", file=sys.stderr, flush=True)
        for n in range(rounds):
            for label in labels if n % 2 == 0 else reversed(labels):
                rounds_so_far = results.setdefault((label, connections), Rounds())
                one_round(targets[label], connections, seconds, rounds_so_far)
    return results


def one_round(target: Target, connections: int, seconds: float, into: Rounds) -> None:
    before = {role: cpu_seconds(pid) for role, pid in target.pids.items()}
    into.results.append(http_load(target.url, connections, seconds))
    for role, pid in target.pids.items():
        into.cpu[role] = into.cpu.get(role, 0.0) + cpu_seconds(pid) - before[role]


@dataclass
class Sessions:
    """What a caller's cluster to the callee counted over the whole run (warm-up, rounds and
    its health checks)."""

    connections: int
    handshakes: int
    resumed: int


def tls_sessions(hops: Mapping[str, Hop]) -> dict[str, Sessions]:
    def counted(envoy: EnvoyProcess, stat: str) -> int:
        return envoy.counter(f"cluster.{CALLEE_CLUSTER}.{stat}")

    return {
        label: Sessions(
            counted(hop.caller, "upstream_cx_total"),
            counted(hop.caller, "ssl.handshake"),
            counted(hop.caller, "ssl.session_reused"),
        )
        for label, hop in hops.items()
    }


# --- report ------------------------------------------------------------------------------


BRACKETS = "in brackets: minus plaintext; req/s and CPU share: ÷ plaintext"


def report(results: Results, sessions: Mapping[str, Sessions], same: str) -> str:
    record(results)
    tool = next(iter(results.values())).results[0].tool
    warning = ""
    if tool != "wrk":
        warning = f"**No wrk ({WRK_INSTALL}): Python clients, whose own cost dominates.**\n\n"
    fixed_us, read_us = (results[app.label(APP), 16].cpu_us(APP_ROLE) for app in APPS)
    return (
        warning
        + table(PATHS_HEADER, path_rows(results))
        + f"\n**The hop's own cost, keep-alive**: in front of the small app, whose {len(BODY)} "
        f"fixed bytes take {fixed_us:.0f} µs of its CPU a request (alone, 16 conns), so the hop "
        f"is not hidden ({BRACKETS})\n\n"
        + table(HOP_HEADER, hop_rows(results, FIXED_BODY))
        + "\n**The hop in front of the real read, keep-alive**: nft's GET /api/nfts/user/{id}, "
        f"{NFTS} NFTs from SQLite, {read_us / 1000:.2f} ms of the app's CPU a request (alone, "
        f"16 conns): what the hop costs a service the mesh runs ({BRACKETS}). Every one of "
        f"its paths answered {same}.\n\n"
        + table(HOP_HEADER, hop_rows(results, NFT_READ))
        + "\n**A new hop connection for every request** (in brackets: minus plaintext)\n\n"
        + table(NEW_CONNECTION_HEADER, new_connection_rows(results))
        + "\n"
        + table(SESSIONS_HEADER, session_rows(sessions))
        + notes(tool)
    )


PATHS_HEADER = ["path", "conns", "p50 ms", "p99 ms", "req/s", "errors", "app CPU µs/req",
                "Envoy CPU µs/req (caller + callee)"]  # fmt: skip
HOP_HEADER = ["figure", "app alone", "plaintext hop", "mTLS, transport only", "mTLS (the mesh's)",
              "goal"]  # fmt: skip
NEW_CONNECTION_HEADER = ["figure", "plaintext", "mTLS, session resumed", "mTLS, full handshake"]
SESSIONS_HEADER = ["caller", "connections to the callee", "TLS handshakes", "of them resumed"]


def path_rows(results: Results) -> list[list[object]]:
    rows: list[list[object]] = []
    for (label, connections), rounds in results.items():
        r = rounds.merged
        envoys = [rounds.cpu_us(role) for role in ENVOY_ROLES if role in rounds.cpu]
        app = f"{rounds.cpu_us(APP_ROLE):.0f}" if APP_ROLE in rounds.cpu else ""
        rows.append(
            [label, connections, ms(r.p50_ms), ms(r.p99_ms), f"{rounds.rps:.0f}", r.errors, app,
             " + ".join(f"{us:.0f}" for us in envoys)]
        )  # fmt: skip
    return rows


def hop_rows(results: Results, app: AppBehind) -> list[list[object]]:
    """`app` alone, then plaintext, mTLS transport only, the mesh's mTLS hop in front of it;
    the issue's goals on the last."""
    alone = {c: results[app.label(APP), c] for c in (1, 16)}
    at = {c: [results[app.label(x), c] for x in HOPS] for c in (1, 16)}
    added_p50 = at[1][2].merged.p50_ms - at[1][0].merged.p50_ms
    ratio = at[16][2].rps / at[16][0].rps
    return [
        ["p50 ms, 1 conn.", ms(alone[1].merged.p50_ms), *latencies(at[1], "p50_ms"),
         f"≤ +{GOAL_ADDED_P50_MS}: {met(added_p50 <= GOAL_ADDED_P50_MS)}"],
        ["p99 ms, 1 conn.", ms(alone[1].merged.p99_ms), *latencies(at[1], "p99_ms"), ""],
        ["req/s, 16 conns", f"{alone[16].rps:.0f}", *throughputs(at[16]),
         f"≥ {GOAL_THROUGHPUT_RATIO}: {met(ratio >= GOAL_THROUGHPUT_RATIO)}"],
        ["req/s, 1 conn.", f"{alone[1].rps:.0f}", *throughputs(at[1]), ""],
        ["Envoy CPU µs/req (caller + callee), 1 conn.", "-", *envoy_cpus(at[1]), ""],
        ["Envoy CPU µs/req (caller + callee), 16 conns", "-", *envoy_cpus(at[16]), ""],
        ["app CPU µs/req, 16 conns", f"{alone[16].cpu_us(APP_ROLE):.1f}", *app_cpus(at[16]),
         ""],
        ["CPU µs/req, app + Envoys, 16 conns (÷: what it leaves of capacity)",
         f"{alone[16].cpu_us(APP_ROLE):.1f}", *path_cpus(at[16]), ""],
    ]  # fmt: skip


def new_connection_rows(results: Results) -> list[list[object]]:
    paths = [results[x, 1] for x in NEW_CONNECTION]
    return [
        ["p50 ms, 1 conn.", *latencies(paths, "p50_ms")],
        ["p99 ms, 1 conn.", *latencies(paths, "p99_ms")],
        ["req/s, 1 conn.", *throughputs(paths)],
        ["Envoy CPU µs/req (caller + callee), 1 conn.", *envoy_cpus(paths)],
    ]


def latencies(paths: list[Rounds], attribute: str) -> list[str]:
    """The first path's value, then each other's with its difference to the first."""
    base = getattr(paths[0].merged, attribute)
    values = [getattr(p.merged, attribute) for p in paths]
    return [ms(base)] + [f"{ms(v)} ({v - base:+.3f})" for v in values[1:]]


def throughputs(paths: list[Rounds]) -> list[str]:
    base = paths[0].rps
    return [f"{base:.0f}"] + [f"{p.rps:.0f} (÷ {p.rps / base:.3f})" for p in paths[1:]]


def envoy_cpus(paths: list[Rounds]) -> list[str]:
    """Caller + callee, and what each side adds to the first path's."""
    base = paths[0]
    cells = [" + ".join(f"{base.cpu_us(role):.1f}" for role in HOP_ROLES)]
    for p in paths[1:]:
        values = " + ".join(f"{p.cpu_us(role):.1f}" for role in HOP_ROLES)
        added = " / ".join(f"{p.cpu_us(role) - base.cpu_us(role):+.1f}" for role in HOP_ROLES)
        cells.append(f"{values} ({added})")
    return cells


def app_cpus(paths: list[Rounds]) -> list[str]:
    base = paths[0].cpu_us(APP_ROLE)
    return [f"{base:.1f}"] + [
        f"{p.cpu_us(APP_ROLE):.1f} ({p.cpu_us(APP_ROLE) - base:+.1f})" for p in paths[1:]
    ]


def path_cpus(paths: list[Rounds]) -> list[str]:
    """All the CPU a request takes on the path (but the client's); where the CPUs are the
    bottleneck, req/s go as its inverse, so plaintext's ÷ each other's is the share of
    plaintext's req/s it can reach: a figure other processes' load moves much less than
    req/s measured on a shared machine."""

    def total(p: Rounds) -> float:
        return p.cpu_us(APP_ROLE) + p.envoys_cpu_us()

    base = total(paths[0])
    return [f"{base:.1f}"] + [f"{total(p):.1f} (÷ {base / total(p):.3f})" for p in paths[1:]]


def met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def session_rows(sessions: Mapping[str, Sessions]) -> list[list[object]]:
    rows: list[list[object]] = []
    for label, s in sessions.items():
        tls = (s.handshakes, s.resumed) if SECURE[label] else ("-", "-")
        rows.append([label, s.connections, *tls])
    return rows


def notes(tool: str) -> str:
    plan = ", ".join(f"{r} x {s} s at {c} conn." for c, r, s, _ in PLAN)
    return (
        f"\n{tool}; {plan}, every path in turn within a round (order reversed every other "
        f"round), after a {WARM_UP_SECONDS} s warm-up per path; p50/p99 the median of the "
        "rounds', req/s and CPU per request over all rounds (CPU: utime + stime of each "
        "process on the path from /proc/<pid>/stat, 10 ms ticks, ÷ the rounds' requests). "
        "A hop: wrk → the caller's sidecar (user's egress listener to nft) → the callee's "
        "sidecar (nft's inbound) → the app: the small one (bench/fixed_body_app.py), which "
        f"answers every GET with the same {len(BODY)} bytes, or, on the 'nft read' paths, the "
        f"nft app serving GET /api/nfts/user/{{id}} ({NFTS} NFTs from its SQLite file; "
        "bench/nft_read.py: started as mesh.direct starts it, on a loopback port, with user "
        "and notification beside it; its CPU is the nft app's alone). Every hop runs the "
        "configs `mesh.envoy.sidecar_config` generates, "
        "one worker per Envoy as the mesh runs them. mTLS: TLS 1.3, ECDSA P-256 certificates "
        "from a node agent; the mesh's hop adds RBAC on the callee's inbound and the caller's "
        "identity in x-forwarded-client-cert, 'transport only' has neither. 'Envoy alone': "
        "the mesh's HTTP listener answering every GET itself (a direct_response of the same "
        "body), the floor of any hop. Keep-alive: the "
        "hop connection is pooled, its handshake paid once. 'A new hop connection for every "
        "request': the caller's cluster has max_requests_per_connection 1, so each request "
        "opens one (TCP, and for mTLS a handshake, resumed from the caller's session cache or, "
        "with that cache off, full); the difference to plaintext is what the handshake costs. "
        "Connections and handshakes: the caller's cluster counters over the whole run "
        "(warm-up, rounds, health checks); a keep-alive hop reconnects mostly when wrk ends a "
        "round with requests in flight, which closes their hop connections.\n"
    )


def record(results: Results) -> None:
    """Side by side: the goals' figures first (the mesh's mTLS hop and the transport alone vs
    plaintext, in front of either app), then what the whole hop costs the real read, the
    small app's p99 and Envoy CPU, a new hop connection per request, and the floor."""
    for app in APPS:
        record_goals(results, app)
    record_hop_vs_alone(results, NFT_READ)
    plain1, plain16 = results[PLAIN, 1], results[PLAIN, 16]
    for label in (MTLS, TRANSPORT):
        one, sixteen = results[label, 1], results[label, 16]
        compare(TITLE, "p99, 1 conn., fixed body", label, one.merged.p99_ms, PLAIN,
                plain1.merged.p99_ms, "ms")  # fmt: skip
        for connections, mtls, plain in ((1, one, plain1), (16, sixteen, plain16)):
            compare(TITLE, f"Envoy CPU per request, {connections} conn.", label,
                    mtls.envoys_cpu_us(), PLAIN, plain.envoys_cpu_us(), "µs")  # fmt: skip
    plain_new = results[PLAIN_NEW, 1]
    for label in (RESUMED, FULL):
        new = results[label, 1]
        compare(TITLE, "p50, 1 conn.", label, new.merged.p50_ms, PLAIN_NEW,
                plain_new.merged.p50_ms, "ms")  # fmt: skip
        compare(TITLE, "Envoy CPU per request, 1 conn.", label, new.envoys_cpu_us(),
                PLAIN_NEW, plain_new.envoys_cpu_us(), "µs")  # fmt: skip
    # The floor: one Envoy answering by itself vs the app alone (the hops vs the app alone are
    # in the table; bench.latency records hop vs direct).
    envoy, app = (results[x, 1].merged.p50_ms for x in (ENVOY, APP))
    compare(TITLE, "p50, 1 conn. (floor)", ENVOY, envoy, APP, app, "ms")


def record_goals(results: Results, app: AppBehind) -> None:
    """The goals' figures in front of `app`: p50 at 1 connection, req/s at 16, vs plaintext."""
    plain1, plain16 = results[app.label(PLAIN), 1], results[app.label(PLAIN), 16]
    for label in (MTLS, TRANSPORT):
        one, sixteen = results[app.label(label), 1], results[app.label(label), 16]
        compare(TITLE, f"p50, 1 conn., {app.name}", label, one.merged.p50_ms, PLAIN,
                plain1.merged.p50_ms, "ms")  # fmt: skip
        compare(TITLE, f"req/s, 16 conns, {app.name}", label, sixteen.rps, PLAIN, plain16.rps,
                "req/s", higher_is_better=True)  # fmt: skip


def record_hop_vs_alone(results: Results, app: AppBehind) -> None:
    """The whole mesh hop (two Envoys, mTLS, the checks) vs `app` alone: what a service pays."""
    (hop1, alone1), (hop16, alone16) = (
        (results[app.label(MTLS), c], results[app.label(APP), c]) for c in (1, 16)
    )
    compare(TITLE, f"p50, 1 conn., {app.name}", MTLS, hop1.merged.p50_ms, APP,
            alone1.merged.p50_ms, "ms")  # fmt: skip
    compare(TITLE, f"req/s, 16 conns, {app.name}", MTLS, hop16.rps, APP, alone16.rps, "req/s",
            higher_is_better=True)  # fmt: skip


if __name__ == "__main__":
    from bench.common import main

    sys.exit(main(sys.modules[__name__]))
