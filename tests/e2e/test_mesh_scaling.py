"""Instances entering and leaving rotation while traffic flows through the edge, with no failed
request and no Envoy restarted (endpoints and their health come over xDS and health checks):

- scale out: `Mesh.add_instance` is routed within a bounded time;
- maintenance: SIGUSR1 fails an instance's readiness (out of rotation), SIGUSR2 restores it;
- graceful stop: `Mesh.remove_instance` (SIGTERM: deregister, drain, exit) loses nothing.

One mesh (nft only, starting with one instance) for the module; tests run in order, and each
one that needs two instances adds the second if an earlier test could not.
"""

from __future__ import annotations

import signal
import time
import uuid

import pytest

from mesh.runner import Mesh, RunningInstance
from tests.support.mesh import (
    Load,
    address,
    get,
    host_requests,
    hosts,
    poll,
    registered,
    registry_get,
    running_mesh,
    stat,
    stats,
    uptime,
)

pytestmark = pytest.mark.e2e

WORKERS = 8
ROUTED_WITHIN_SECONDS = 5.0
# A 503 from /healthz makes Envoy's health check fail the host at once; the registrar's next
# heartbeat (NOT_SERVING) would do it within a second too.
OUT_WITHIN_SECONDS = 4.0
BACK_WITHIN_SECONDS = 3.0  # one good health check (healthy_threshold 1), or one heartbeat
WINDOW_REQUESTS = 300  # sent while an instance is out of rotation


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory):
    with running_mesh(
        tmp_path_factory.mktemp("scaling"), services=["nft"], instances={"nft": 1}
    ) as mesh:
        yield mesh


@pytest.fixture
def pair(mesh: Mesh) -> tuple[RunningInstance, RunningInstance]:
    """Two nft instances (the second added if an earlier test did not leave one)."""
    while len(mesh.instances["nft"]) < 2:
        mesh.add_instance("nft")
    first, second = mesh.instances["nft"][:2]
    poll(lambda: all(h.routable for h in hosts(mesh.edge, "nft").values()), "all routable", 5)
    return first, second


def load(mesh: Mesh, seconds: float = 10.0, workers: int = WORKERS) -> Load:
    return Load({"GET": get(f"/api/nfts/user/{uuid.uuid4()}", mesh.edge_url)}, workers, seconds)


def routed_to(mesh: Mesh, running: RunningInstance) -> int:
    """Requests the edge load-balanced to `running` (its health checks are not counted)."""
    assert mesh.edge is not None
    return host_requests(mesh.edge, "nft").get(address(running), 0)


def registry_status(mesh: Mesh, running: RunningInstance) -> str:
    path = f"/api/registry/services/nft/instances/{running.id}"
    return registry_get(mesh, path).json()["status"]


def edge_identity(mesh: Mesh) -> dict[str, int]:
    """What changes if the edge restarted or rebuilt its config instead of taking an update."""
    assert mesh.edge is not None and mesh.edge.running
    epoch, seconds = uptime(mesh.edge)
    created = stats(
        mesh.edge, r"^(cluster_manager\.cluster_added|listener_manager\.listener_added)$"
    )
    return {"pid": mesh.edge.pid, "hot_restart_epoch": epoch, "uptime": seconds, **created}


def assert_edge_not_restarted(before: dict[str, int], after: dict[str, int]) -> None:
    assert after["uptime"] >= before["uptime"], (before, after)
    assert {k: v for k, v in after.items() if k != "uptime"} == {
        k: v for k, v in before.items() if k != "uptime"
    }


def test_an_added_instance_is_routed_within_bounded_time_without_restarting_envoy(mesh, figure):
    assert mesh.edge is not None
    identity = edge_identity(mesh)
    memberships = stat(mesh.edge, "cluster.nft.membership_change")

    # Light load while the new instance starts (its start-up needs the CPU), full load after.
    with load(mesh, workers=2) as joining:
        adding = time.monotonic()
        added = mesh.add_instance("nft")
        returned = time.monotonic()
        # Traffic goes on without a gap: the next load starts before the first is stopped.
        with load(mesh) as joined:
            joining.stop()
            poll(
                lambda: routed_to(mesh, added) > 0,
                "a request routed to the new instance",
                ROUTED_WITHIN_SECONDS,
            )
            first_routed = time.monotonic() - returned
            poll(
                lambda: hosts(mesh.edge, "nft")[address(added)].routable,
                "healthy in the edge's /clusters",
                ROUTED_WITHIN_SECONDS,
            )
            # A fair share, not a stray request: round robin over two instances.
            poll(lambda: routed_to(mesh, added) >= 50, "50 requests routed to it", 5)
    before, after = joining.report(), joined.report()
    figure("time from add_instance return to first routed request", f"{first_routed * 1000:.0f} ms")
    figure("add_instance (start, ready, registered) took", f"{returned - adding:.2f} s")
    figure("requests while adding (load capped at 10 s)", before.summary())
    figure("requests once added", after.summary())
    assert before.failures() == [] and after.failures() == []

    # Its own sidecar's inbound listener saw them all (and the edge's health checks).
    edge_counted = routed_to(mesh, added)
    inbound = stat(added.sidecar, "http.inbound.downstream_rq_total")
    assert inbound >= edge_counted >= 50, (inbound, edge_counted)
    assert set(hosts(mesh.edge, "nft")) == {address(r) for r in mesh.instances["nft"]}
    assert stat(mesh.edge, "cluster.nft.membership_change") > memberships
    assert_edge_not_restarted(identity, edge_identity(mesh))


def test_maintenance_takes_an_instance_out_of_rotation_and_back_without_failed_requests(
    mesh, pair, figure
):
    assert mesh.edge is not None
    staying, resting = pair
    seen: set[str] = set()

    def out_of_rotation() -> bool:
        host = hosts(mesh.edge, "nft")[address(resting)]
        seen.update(host.failed | {f"eds_health={host.eds_health}"})
        return not host.routable

    with load(mesh) as traffic:
        poll(lambda: routed_to(mesh, resting) >= 20, "both instances serving", 5)
        signalled = time.monotonic()
        resting.app.process.send_signal(signal.SIGUSR1)
        poll(out_of_rotation, "out of rotation at the edge", OUT_WITHIN_SECONDS)
        to_leave = time.monotonic() - signalled

        # Nothing more reaches it while it is out; the other instance takes everything.
        rested, stayed, sent = routed_to(mesh, resting), routed_to(mesh, staying), traffic.sent
        poll(lambda: traffic.sent >= sent + WINDOW_REQUESTS, "requests sent meanwhile", 5)
        assert routed_to(mesh, resting) == rested
        # Up to one in-flight request per worker was routed before the first reading.
        assert routed_to(mesh, staying) - stayed >= WINDOW_REQUESTS - WORKERS
        status_while_out = registry_status(mesh, resting)

        signalled = time.monotonic()
        resting.app.process.send_signal(signal.SIGUSR2)
        poll(
            lambda: hosts(mesh.edge, "nft")[address(resting)].routable,
            "back in rotation at the edge",
            BACK_WITHIN_SECONDS,
        )
        to_return = time.monotonic() - signalled
        rested = routed_to(mesh, resting)
        poll(lambda: routed_to(mesh, resting) >= rested + 20, "requests reach it again", 5)
    report = traffic.report()
    figure("SIGUSR1 until out of rotation at the edge", f"{to_leave * 1000:.0f} ms")
    figure("what the edge showed for it meanwhile", ", ".join(sorted(seen)))
    figure("SIGUSR2 until back in rotation", f"{to_return * 1000:.0f} ms")
    figure("requests during maintenance", report.summary())
    assert report.failures() == []
    assert resting.app.running  # in maintenance, not stopped
    assert status_while_out == "NOT_SERVING"
    poll(lambda: registry_status(mesh, resting) == "SERVING", "SERVING in the registry", 3)


def test_a_graceful_stop_under_load_fails_no_request(mesh, pair, figure):
    assert mesh.edge is not None
    identity = edge_identity(mesh)
    staying, leaving = pair
    with load(mesh) as traffic:
        poll(lambda: routed_to(mesh, leaving) >= 20, "both instances serving", 5)
        started = time.monotonic()
        mesh.remove_instance(leaving.id)  # SIGTERM: deregister, drain, exit; then its sidecar
        took = time.monotonic() - started
        served = routed_to(mesh, staying)
        poll(lambda: routed_to(mesh, staying) >= served + 100, "traffic going on", 5)
    report = traffic.report()
    figure("remove_instance (SIGTERM, deregister, drain, exit) took", f"{took:.2f} s")
    figure("requests during the graceful stop", report.summary())
    assert report.failures() == []
    assert leaving.app.process.returncode == 0 and not leaving.sidecar.running
    assert set(hosts(mesh.edge, "nft")) == {address(staying)}
    assert registered(mesh)["nft"] == {staying.id}
    with pytest.raises(KeyError):
        mesh.find(leaving.id)
    assert_edge_not_restarted(identity, edge_identity(mesh))
