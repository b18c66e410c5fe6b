"""The registry is not on the request path: while it is down Envoys keep their last endpoints
and traffic flows; restarted on the same ports, it is rebuilt from heartbeats (it keeps no
state) and pushes to Envoys again, so a new instance still gets traffic.

The outage is staged once (module fixture `outage`); one test checks what must hold, the other
that no request fails while the registry restarts (it holds xDS answers back until heartbeats
have rebuilt its state)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import pytest

from mesh.runner import Mesh, RunningInstance
from tests.support.mesh import (
    Host,
    Load,
    LoadReport,
    address,
    get,
    host_requests,
    hosts,
    poll,
    registered,
    registered_or_none,
    running_mesh,
    stat,
)

pytestmark = pytest.mark.e2e

WORKERS = 8
RELISTED_WITHIN_SECONDS = 5.0  # heartbeats come every second


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory):
    with running_mesh(
        tmp_path_factory.mktemp("registry-outage"), services=["nft"], instances={"nft": 2}
    ) as mesh:
        yield mesh


def load(mesh: Mesh, seconds: float, workers: int = WORKERS) -> Load:
    return Load({"GET": get(f"/api/nfts/user/{uuid.uuid4()}", mesh.edge_url)}, workers, seconds)


def ids(mesh: Mesh) -> set[str]:
    return {r.id for r in mesh.instances["nft"]}


def every_instance(mesh: Mesh) -> dict[str, set[str]]:
    """Service -> ids of every instance the mesh runs (nft's, and the identity service's)."""
    return {name: {r.id for r in running} for name, running in mesh.instances.items() if running}


def edge_connected(mesh: Mesh) -> bool:
    assert mesh.edge is not None
    return stat(mesh.edge, "control_plane.connected_state") == 1


@dataclass(frozen=True)
class Outage:
    down: LoadReport  # while the registry was dead
    edge_hosts_while_down: dict[str, Host]
    restarting: list[LoadReport]  # from before it listened until every instance was routable
    up_seconds: float  # start_registry() until it served
    relisted_seconds: float  # then until every instance was registered again
    added: RunningInstance  # added after the restart
    after: LoadReport  # with the added instance


@pytest.fixture(scope="module")
def outage(mesh: Mesh) -> Outage:
    assert mesh.registry is not None and mesh.edge is not None
    assert registered(mesh)["nft"] == ids(mesh)
    mesh.registry.kill()
    poll(lambda: not edge_connected(mesh), "the edge disconnected from the registry", 5)
    with load(mesh, 3.0) as outage:
        down = outage.wait()
    while_down = hosts(mesh.edge, "nft")

    # Restart on the same ports, with load from before its xDS server listens until every
    # instance is routable again (two loads back to back, each bounded; a light one while the
    # registry starts, which needs the CPU).
    with load(mesh, 10.0, workers=2) as starting:
        began = time.monotonic()
        mesh.start_registry()
        up = time.monotonic() - began
        with load(mesh, 10.0) as started:
            starting.stop()
            relisted = poll(
                lambda: registered_or_none(mesh) == every_instance(mesh),
                "every instance registered again",
                RELISTED_WITHIN_SECONDS,
            )
            poll(
                lambda: (
                    edge_connected(mesh)
                    and {a for a, h in hosts(mesh.edge, "nft").items() if h.routable}
                    == {address(r) for r in mesh.instances["nft"]}
                ),
                "every instance routable at the edge again",
                5,
            )
            assert started.running, "the load ended before the restart was over"

    added = mesh.add_instance("nft")
    with load(mesh, 10.0) as after:
        poll(
            lambda: host_requests(mesh.edge, "nft").get(address(added), 0) >= 20,
            "requests routed to an instance added after the restart",
            5,
        )
    return Outage(
        down=down,
        edge_hosts_while_down=while_down,
        restarting=[starting.report(), started.report()],
        up_seconds=up,
        relisted_seconds=relisted,
        added=added,
        after=after.report(),
    )


def test_traffic_flows_while_the_registry_is_down_and_it_is_rebuilt_on_restart(
    mesh, outage, figure
):
    figure("requests while the registry is down", outage.down.summary())
    figure("registry restart (under load) until serving", f"{outage.up_seconds:.2f} s")
    figure("then until every instance listed again", f"{outage.relisted_seconds * 1000:.0f} ms")
    figure("requests after the restart, with an added instance", outage.after.summary())
    assert outage.down.sent > 0 and outage.down.failures() == []
    # Both instances kept serving from the edge's last-known endpoints.
    assert len(outage.edge_hosts_while_down) == 2
    assert all(host.routable for host in outage.edge_hosts_while_down.values())
    # Rebuilt from heartbeats (the restarted registry starts empty), and pushing again.
    assert registered(mesh)["nft"] == ids(mesh) and len(ids(mesh)) == 3
    assert outage.after.failures() == []
    assert stat(outage.added.sidecar, "http.inbound.downstream_rq_total") >= 20


class RequestsFailedDuringRestart(AssertionError):
    """Requests failed while the registry restarted."""


def test_no_request_fails_while_the_registry_restarts(outage, figure):
    figure("requests during the restart", " / ".join(r.summary() for r in outage.restarting))
    failures = [o for report in outage.restarting for o in report.failures()]
    if failures:
        window = max(o.finished for o in failures) - min(o.started for o in failures)
        raise RequestsFailedDuringRestart(f"{len(failures)} failed within {window:.2f} s")
