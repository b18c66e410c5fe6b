"""Chaos, part 1: faults injected on a dependency by its own sidecar (Envoy's fault filter,
switched on live through the sidecar's admin runtime; `mesh.envoy.faults`).

The dependency is nft; its callers are the user service (`GET /api/users/me/nfts` through the
edge, the user app calling nft through its sidecar's egress) and the edge itself
(`GET /api/nfts/user/{id}`). What must hold:

- aborts on every nft instance: the user service answers a 503 problem+json within its nft
  timeout, never a 500 or a hang, and nft's sidecars count the aborts;
- aborts on part of nft: the caller's sidecar retries the idempotent GET on the other instance,
  every call succeeds, and every retry is counted, within the retry limits;
- delays longer than the user service's nft timeout: a 504 problem+json, on time;
- delays plus more concurrent calls than the edge's circuit breaker admits: 503s with
  `x-envoy-overloaded: true`, counted as overflows; once the fault is off, calls succeed again.

Every test prints what it injected and what was counted. Loopback only, bounded waits.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest

from mesh.envoy.retries import NUM_RETRIES
from mesh.processes import EnvoyProcess
from mesh.runner import Mesh
from tests.support.faults import (
    FaultCounts,
    aborts,
    circuit_limit,
    delays,
    overridden,
    runtime,
)
from tests.support.mesh import hosts, poll, running_mesh, stat, stats
from tests.support.tokens import bearer

pytestmark = pytest.mark.e2e

USER_NFT_TIMEOUT_SECONDS = 1.0  # USER_NFT_TIMEOUT_SECONDS: the user app's limit per nft call
MARGIN_SECONDS = 0.5  # scheduling on a busy 2-core machine, not a second timeout
EDGE_ATTEMPTS = NUM_RETRIES + 1  # the edge retries the user service's 5xx on a GET
CLIENT_TIMEOUT_SECONDS = 10.0  # far above every bound asserted: a hang shows as a failure
PROBLEM_JSON = "application/problem+json"
MY_NFTS = "/api/users/me/nfts"
OVERLOADED = "x-envoy-overloaded"
CIRCUIT_LIMIT = 3  # the edge's max_requests to nft during the overload test (config: 1024)
BURST = 12  # concurrent calls, four times the limit
OVERLOAD_DELAY_SECONDS = 1.5  # holds the admitted calls while the rest of the burst arrives
# Two aborts always come (1 in 2 of nft-1's requests); more may not: outlier detection ejects
# nft-1 after two consecutive ones, and nft-2 then serves alone.
PARTIAL_ABORTS = 2
MAX_PARTIAL_CALLS = 100  # ~4 expected; a bound, not a budget
RETRY_STATS = (
    "upstream_rq_retry",
    "upstream_rq_retry_success",
    "upstream_rq_retry_overflow",  # refused by the circuit breaker's max_retries
    "upstream_rq_retry_limit_exceeded",  # out of attempts (num_retries)
)
# Envoy counts a request refused by max_requests here (max_pending_requests: ..._pending_overflow).
ACTIVE_OVERFLOW = "cluster.nft.upstream_rq_active_overflow"
PENDING_OVERFLOW = "cluster.nft.upstream_rq_pending_overflow"


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    overloaded: str | None  # the x-envoy-overloaded header
    seconds: float


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    """user (1) → nft (2; notification, its start-up dependency, 1) behind the edge."""
    with running_mesh(
        tmp_path_factory.mktemp("chaos-faults"),
        services=["user"],
        instances={"user": 1, "nft": 2, "notification": 1},
        app_env={"USER_NFT_TIMEOUT_SECONDS": str(USER_NFT_TIMEOUT_SECONDS)},
    ) as mesh:
        yield mesh


# --- the mesh's Envoys -------------------------------------------------------------------------


def nft_sidecars(mesh: Mesh) -> list[EnvoyProcess]:
    return [running.sidecar for running in mesh.instances["nft"]]


def user_sidecar(mesh: Mesh) -> EnvoyProcess:
    (user,) = mesh.instances["user"]
    return user.sidecar


def edge_of(mesh: Mesh) -> EnvoyProcess:
    assert mesh.edge is not None
    return mesh.edge


def every_host_routable(envoy: EnvoyProcess, cluster: str, count: int) -> Callable[[], bool]:
    def check() -> bool:
        known = hosts(envoy, cluster)
        return len(known) == count and all(host.routable for host in known.values())

    return check


def deltas(envoy: EnvoyProcess, names: list[str], before: dict[str, int]) -> dict[str, int]:
    now = stats(envoy)
    return {name: now.get(name, 0) - before.get(name, 0) for name in names}


# --- requests ----------------------------------------------------------------------------------


def call(client: httpx.Client, path: str, headers: dict[str, str] | None = None) -> Answer:
    started = time.monotonic()
    response = client.get(path, headers=headers)
    return Answer(
        response.status_code,
        response.headers.get("content-type", ""),
        response.headers.get(OVERLOADED),
        time.monotonic() - started,
    )


def concurrently(base_url: str, path: str, count: int, headers: dict[str, str]) -> list[Answer]:
    """`count` calls at once, each on its own connection (so the edge sees them in parallel)."""

    def one(_: int) -> Answer:
        with httpx.Client(base_url=base_url, trust_env=False, timeout=CLIENT_TIMEOUT_SECONDS) as c:
            return call(c, path, headers)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def edge_client(mesh: Mesh) -> httpx.Client:
    return httpx.Client(base_url=mesh.edge_url, trust_env=False, timeout=CLIENT_TIMEOUT_SECONDS)


def calls_until_aborted(
    client: httpx.Client, faulty: EnvoyProcess, before: FaultCounts, wanted: int
) -> list[Answer]:
    """GET my NFTs (one at a time, bounded) until `faulty` has injected `wanted` aborts."""
    auth, answers = bearer(uuid.uuid4()), list[Answer]()
    for _ in range(MAX_PARTIAL_CALLS):
        answers.append(call(client, MY_NFTS, auth))
        if (FaultCounts.of([faulty]) - before).aborts >= wanted:
            return answers
    raise AssertionError(f"fewer than {wanted} aborts in {MAX_PARTIAL_CALLS} calls")


def report(scenario: str, injected: str, counted: dict[str, object]) -> None:
    print(f"\n[{scenario}] injected: {injected}")
    for name, value in counted.items():
        print(f"[{scenario}]   {name}: {value}")


# --- the scenarios (in this order: each leaves ejections that the next one tolerates) -----------


def test_aborts_on_one_instance_are_retried_on_the_other(mesh: Mesh) -> None:
    """50 % aborts on nft-1 (nft-2 healthy): every GET succeeds, retried by user's sidecar."""
    caller, faulty = user_sidecar(mesh), nft_sidecars(mesh)[0]
    poll(every_host_routable(caller, "nft", 2), "both nft instances routable from user", 5.0)
    names = [f"cluster.nft.{name}" for name in RETRY_STATS]
    before, faults_before = stats(caller), FaultCounts.of([faulty])
    with overridden([faulty], aborts(50)), edge_client(mesh) as client:
        answers = calls_until_aborted(client, faulty, faults_before, PARTIAL_ABORTS)
    counted, injected = deltas(caller, names, before), FaultCounts.of([faulty]) - faults_before
    report(
        "partial aborts",
        "nft-1 inbound: fault.http.abort.abort_percent=50 (503); nft-2: none",
        {
            "calls (GET /api/users/me/nfts via edge)": len(answers),
            "statuses": dict(Counter(a.status for a in answers)),
            "aborts injected by nft-1's sidecar": injected.aborts,
            **{f"user sidecar {k}": v for k, v in counted.items()},
        },
    )
    assert [a.status for a in answers] == [200] * len(answers)
    # Each abort hit a first attempt; its one retry went to nft-2 (previous_hosts) and succeeded.
    assert counted["cluster.nft.upstream_rq_retry"] == injected.aborts >= PARTIAL_ABORTS
    assert counted["cluster.nft.upstream_rq_retry_success"] == injected.aborts
    assert counted["cluster.nft.upstream_rq_retry"] <= NUM_RETRIES * len(answers)
    # Within the retry limits: none refused by max_retries, none out of attempts.
    assert counted["cluster.nft.upstream_rq_retry_overflow"] == 0
    assert counted["cluster.nft.upstream_rq_retry_limit_exceeded"] == 0


def test_aborts_on_every_instance_give_a_clear_503_on_time(mesh: Mesh) -> None:
    """100 % aborts on nft: the user service answers 503 problem+json, never a 500 or a hang."""
    dependency, calls = nft_sidecars(mesh), 3
    before, retries_before = (
        FaultCounts.of(dependency),
        stat(edge_of(mesh), "cluster.user.upstream_rq_retry"),
    )
    with overridden(dependency, aborts(100)), edge_client(mesh) as client:
        assert runtime(dependency[0], "fault.http.abort.abort_percent") == "100"
        answers = [call(client, MY_NFTS, bearer(uuid.uuid4())) for _ in range(calls)]
    injected = FaultCounts.of(dependency) - before
    edge_retries = stat(edge_of(mesh), "cluster.user.upstream_rq_retry") - retries_before
    report(
        "aborts",
        "every nft inbound: fault.http.abort.abort_percent=100 (503)",
        {
            "calls": calls,
            "answers": [(a.status, a.content_type, f"{a.seconds:.3f}s") for a in answers],
            "aborts injected by nft's sidecars": injected.aborts,
            "edge retries of the user service's 503": edge_retries,
        },
    )
    for answer in answers:
        assert answer.status == 503 and answer.content_type.startswith(PROBLEM_JSON)
        # Aborts are immediate: even with every retry the answer is far inside one timeout.
        assert answer.seconds < USER_NFT_TIMEOUT_SECONDS + MARGIN_SECONDS
    # Retries multiply: the edge tries the user service 3 times, each time its sidecar tries
    # nft 3 times, so one client call meets 9 aborts (all immediate, all counted).
    assert edge_retries == calls * NUM_RETRIES
    assert injected.aborts == calls * EDGE_ATTEMPTS * (NUM_RETRIES + 1)


def test_delays_beyond_the_timeout_give_a_504_on_time(mesh: Mesh) -> None:
    """100 % delays of twice the user's nft timeout: a 504 problem+json after that timeout."""
    dependency, calls = nft_sidecars(mesh), 3
    delay = 2 * USER_NFT_TIMEOUT_SECONDS
    edge = edge_of(mesh)
    before, retries_before = (
        FaultCounts.of(dependency),
        stat(edge, "cluster.user.upstream_rq_retry"),
    )
    with overridden(dependency, delays(100, delay)):
        answers = concurrently(mesh.edge_url, MY_NFTS, calls, bearer(uuid.uuid4()))
    injected = FaultCounts.of(dependency) - before
    edge_retries = stat(edge, "cluster.user.upstream_rq_retry") - retries_before
    attempts = calls + edge_retries  # the user service's answers the edge received
    per_attempt = [a.seconds * calls / attempts for a in answers]
    report(
        "delays",
        f"every nft inbound: fault.http.delay.fixed_delay_percent=100, {delay:.1f}s "
        f"(USER_NFT_TIMEOUT_SECONDS={USER_NFT_TIMEOUT_SECONDS})",
        {
            "calls (concurrent)": calls,
            "answers": [(a.status, a.content_type, f"{a.seconds:.3f}s") for a in answers],
            "delays injected by nft's sidecars": injected.delays,
            "edge retries of the user service's 504": edge_retries,
            "seconds per user-service answer": [f"{s:.3f}" for s in per_attempt],
        },
    )
    for answer in answers:
        assert answer.status == 504 and answer.content_type.startswith(PROBLEM_JSON)
        # The user service gave up at its timeout, each time the edge asked: no hang.
        assert answer.seconds >= USER_NFT_TIMEOUT_SECONDS
        assert answer.seconds <= EDGE_ATTEMPTS * (USER_NFT_TIMEOUT_SECONDS + MARGIN_SECONDS)
    # Each of the user service's calls was held back once: its own timeout (1 s) ends it before
    # its sidecar's per-try timeout (5 s) could retry it.
    assert injected.delays == attempts == calls * EDGE_ATTEMPTS
    assert max(per_attempt) <= USER_NFT_TIMEOUT_SECONDS + MARGIN_SECONDS


def test_overload_opens_the_circuit_and_it_closes_after_the_fault(mesh: Mesh) -> None:
    """The edge admits CIRCUIT_LIMIT calls to nft at a time; nft is slow; a burst of BURST calls:
    the excess is refused at once (503, x-envoy-overloaded); once nft is fast again, calls pass."""
    edge, dependency = edge_of(mesh), nft_sidecars(mesh)
    path = f"/api/nfts/user/{uuid.uuid4()}"
    overflow = r"^cluster\.nft\.upstream_rq_(active|pending)_overflow$"
    rq_open = "cluster.nft.circuit_breakers.default.rq_open"
    poll(every_host_routable(edge, "nft", 2), "both nft instances routable from the edge", 5.0)
    before = stats(edge, overflow)
    with overridden([edge], circuit_limit("nft", "max_requests", CIRCUIT_LIMIT)):
        with (
            overridden(dependency, delays(100, OVERLOAD_DELAY_SECONDS)),
            ThreadPoolExecutor(max_workers=1) as background,
        ):
            running = background.submit(concurrently, mesh.edge_url, path, BURST, {})
            # The admitted calls are held by nft: the edge's circuit to nft stays open meanwhile.
            opened = poll(lambda: stat(edge, rq_open) == 1, "the circuit open", 5.0)
            burst = running.result(timeout=CLIENT_TIMEOUT_SECONDS)
        overflowed = {k: v - before.get(k, 0) for k, v in stats(edge, overflow).items()}
        # The fault is off: in-flight calls drain, the circuit closes, calls within it pass.
        closed = poll(lambda: stat(edge, rq_open) == 0, "the circuit closed", 5.0)
        within = concurrently(mesh.edge_url, path, CIRCUIT_LIMIT, {})
    # And with the configured limits back, the whole burst passes.
    after = concurrently(mesh.edge_url, path, BURST, {})
    refused = [a for a in burst if a.status == 503 and a.overloaded == "true"]
    report(
        "overload",
        f"every nft inbound: fixed_delay_percent=100, {OVERLOAD_DELAY_SECONDS}s; edge: "
        f"circuit_breakers.nft.default.max_requests={CIRCUIT_LIMIT}; {BURST} concurrent GETs",
        {
            "burst statuses": dict(Counter((a.status, a.overloaded) for a in burst)),
            "refused at once (503, x-envoy-overloaded: true)": len(refused),
            "slowest refusal": f"{max((a.seconds for a in refused), default=0):.3f}s",
            "edge overflow counters": overflowed,
            f"circuit open ({rq_open} = 1) after the burst began within": f"{opened:.3f}s",
            "circuit closed after the fault within": f"{closed:.3f}s",
            f"{CIRCUIT_LIMIT} concurrent after the fault": Counter(a.status for a in within),
            f"{BURST} concurrent with the configured limits": Counter(a.status for a in after),
        },
    )
    assert {(a.status, a.overloaded) for a in burst} <= {(200, None), (503, "true")}
    # The edge's refusal is a problem like every other error (mesh/envoy/gateway_problems.py).
    assert {a.content_type for a in refused} == {PROBLEM_JSON}
    assert 1 <= len(burst) - len(refused) <= CIRCUIT_LIMIT  # the admitted ones, served late
    assert len(refused) >= BURST - 2 * CIRCUIT_LIMIT
    assert overflowed.get(ACTIVE_OVERFLOW) == len(refused)  # max_requests refused them
    assert overflowed.get(PENDING_OVERFLOW, 0) == 0
    # Refused by the edge itself, not after waiting on nft.
    assert max(a.seconds for a in refused) < OVERLOAD_DELAY_SECONDS
    assert [a.status for a in within] == [200] * CIRCUIT_LIMIT
    assert [a.status for a in after] == [200] * BURST
