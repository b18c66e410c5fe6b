"""A crash under load: one of two nft instances is killed (SIGKILL, app then sidecar, no
deregistration) while GETs and POSTs flow through the edge. GETs do not fail (retried on the
other instance), the edge ejects the dead host at once, and the registry forgets it after its
TTL. POSTs carry an Idempotency-Key, so the edge retries them like GETs, and a retry of one the
dead instance had already applied replays instead of minting twice. A request whose response
had started streaming when the app died may still fail (nothing can be retried once bytes
reached the client); the writer then retries it with the same key, as a client should, and the
key makes that retry a replay, never a second NFT."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.support.mesh import (
    Load,
    Mint,
    address,
    get,
    host_requests,
    hosts,
    keyed_mints,
    owned_nfts,
    poll,
    registered,
    running_mesh,
    stat,
)

pytestmark = pytest.mark.e2e

TTL_SECONDS = 3.0
WORKERS = {"GET": 8, "POST": 2}  # fewer writers: each POST is a durable SQLite commit
LOAD_SECONDS = 6.0
EJECTED_WITHIN_SECONDS = 2.0
EJECTIONS = "cluster.nft.outlier_detection.ejections_enforced_total"
CLIENT_ATTEMPTS = 3  # a writer's own retries of a keyed POST that failed (same key)


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory):
    with running_mesh(
        tmp_path_factory.mktemp("failover"),
        services=["nft"],
        instances={"nft": 2},
        registry_env={"REGISTRY_INSTANCE_TTL_SECONDS": str(TTL_SECONDS)},
    ) as mesh:
        yield mesh


def test_killing_one_of_two_instances_under_load_fails_no_get(mesh, figure):
    assert mesh.edge is not None
    survivor, victim = mesh.instances["nft"]
    owner = uuid.uuid4()
    writes: list[Mint] = []
    # One key per mint, kept across the writer's retries.
    mint = keyed_mints(mesh, owner, "failover", writes, attempts=CLIENT_ATTEMPTS)

    ejections_before = stat(mesh.edge, EJECTIONS)
    traffic = Load(
        {"GET": get(f"/api/nfts/user/{uuid.uuid4()}", mesh.edge_url), "POST": mint},
        workers=WORKERS,
        duration=LOAD_SECONDS,
        ok=frozenset({200, 201}),
    )
    flags: set[str] = set()

    def ejected() -> bool:
        host = hosts(mesh.edge, "nft").get(address(victim))
        if host is not None:
            flags.update(host.failed)
        return host is None or not host.routable

    with traffic:
        poll(
            lambda: all(n >= 20 for n in host_requests(mesh.edge, "nft").values()),
            "both instances serving",
            5,
        )
        killed = time.monotonic()
        victim.kill()
        kill_done = time.monotonic()
        poll(ejected, "the killed instance ejected by the edge", EJECTED_WITHIN_SECONDS)
        to_eject = time.monotonic() - killed
        poll(
            lambda: victim.id not in registered(mesh).get("nft", set()),
            "the killed instance dropped by the registry",
            TTL_SECONDS + 3,
        )
        to_forget = time.monotonic() - killed
        report = traffic.wait()

    gets, posts = report.of("GET"), report.of("POST")
    failed_posts = report.failures("POST")
    figure(
        "time to eject a killed instance (edge /clusters), from SIGKILL",
        f"{to_eject * 1000:.0f} ms (the kill itself: {(kill_done - killed) * 1000:.0f} ms)",
    )
    figure("health flags seen on the killed host", ", ".join(sorted(flags)) or "(removed)")
    figure("time until the registry dropped it (TTL 3 s)", f"{to_forget:.2f} s")
    figure("GET during failover", report.summary("GET"))
    figure("POST during failover", report.summary("POST"))
    names = [nft["name"] for nft in owned_nfts(mesh, owner)]
    acknowledged = {w.key for w in writes if w.status == 201}
    retried = [w for w in writes if w.attempts > 1]
    figure(
        "keyed writes during failover (client retries with the same key)",
        f"{len(writes)} keys, {sum(w.attempts for w in writes)} attempts, "
        f"{len(retried)} retried by the client ({sum(w.status == 201 for w in retried)} of them "
        f"then acknowledged), {len(acknowledged)} acknowledged, {len(failed_posts)} failed "
        f"after {CLIENT_ATTEMPTS} attempts; stored {len(names)}, "
        f"duplicates {len(names) - len(set(names))}",
    )
    figure("client errors during failover", f"GET {len(report.failures('GET'))}")

    def in_flight_at_the_kill(outcome) -> bool:
        return outcome.started <= kill_done and outcome.finished >= killed

    assert len(gets) > 0 and len(posts) > 0
    # Every GET that failed (none, nearly always) was cut mid-response by the crash itself:
    # once response bytes are on their way to the client Envoy cannot retry. A 5xx would mean
    # a retry that should have happened did not.
    for outcome in report.failures("GET"):
        assert outcome.status is None and in_flight_at_the_kill(outcome), outcome
    assert len(report.failures("GET")) <= WORKERS["GET"]
    # With the writer's own retries, every keyed write is acknowledged in the end; each is
    # stored exactly once (a retry of one the dead instance had applied is a replay).
    assert failed_posts == [] and len(acknowledged) == len(writes) == len(posts)
    assert len(names) == len(set(names)), "a retried POST minted twice"
    assert set(names) == acknowledged
    # Requests went on well after the kill.
    assert any(o.started > kill_done + 1 for o in gets)
    assert stat(mesh.edge, EJECTIONS) > ejections_before or flags & {
        "failed_active_health_check",
        "failed_outlier_check",
    }
    assert set(hosts(mesh.edge, "nft")) == {address(survivor)}
    assert registered(mesh)["nft"] == {survivor.id}
