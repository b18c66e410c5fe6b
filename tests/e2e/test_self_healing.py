"""Self-healing with the launcher's supervisor on (mesh/supervisor.py), under load through the
edge: an app killed (SIGKILL) or frozen (SIGSTOP: it answers nothing and is killed for its
liveness), and a sidecar killed, each serve again within 10 s (plus however much longer than
on an idle machine the new app took to start) as the SAME instance — its new process
registered by its own heartbeat, routable at the edge, and answering requests — while no GET
and no keyed POST fails at the edge (retried on the other instance; a key makes a retried
mint a replay). `make status` (python -m mesh.ctl status) shows each restart and its reason.
A process that cannot start backs off and shows as crash-looping; an instance removed on
purpose is never restarted.

One mesh for the module (nft twice, user and notification once); the tests run in order, each
on a process no earlier test restarted (the sidecar test takes nft-1's, whose app the first
test restarted).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from mesh.control import control_endpoint
from mesh.launcher import status_table
from mesh.processes import ManagedProcess
from mesh.runner import Mesh, RunningInstance
from mesh.supervisor import Part, Supervisor, supervising
from mesh.topology import HOST
from tests.support.mesh import (
    Load,
    LoadReport,
    Mint,
    Outcome,
    Send,
    address,
    get,
    hosts,
    keyed_mints,
    owned_nfts,
    poll,
    registry_get,
    running_mesh,
)

pytestmark = pytest.mark.e2e

INSTANCES = {"nft": 2, "user": 1, "notification": 1}
WORKERS = {"GET": 4, "POST": 2}
# Paced (at most 20 GET/s and 10 POST/s): enough to catch a failed request at every stage,
# while leaving the CPU to the restart being measured (an app's start is CPU-bound).
INTERVAL_SECONDS = 0.2
SERVING_WITHIN_SECONDS = 10.0  # the bound, from the signal ...
# ... for a new app that starts as fast as on an idle 2-core machine: its imports alone are
# 2.4 s of CPU (TOOLCHAIN.md), then its database, and the registrar's first heartbeat comes up
# to 1 s after it is ready. When the machine is saturated a start takes longer (12 s was seen
# at load average 12): the bound grows by that excess, which is not the supervisor's doing.
NOMINAL_APP_START_SECONDS = 4.0
# The supervisor's own reaction, from the signal to a new process: an exit is noticed within
# 0.1 s and restarted after 0.5 s; a frozen app is killed after 3 unanswered probes (1 s
# apart, 1 s timeout: 3-4 s), then restarted after 0.5 s.
RESTARTED_AFTER_EXIT_WITHIN_SECONDS = 1.5
RESTARTED_AFTER_FREEZE_WITHIN_SECONDS = 6.0
RECOVERY_LIMIT_SECONDS = 30.0  # polls wait this long, so a slow recovery is measured, not cut
# The load during a disruption is stopped once the instance is back; it could run this long, so
# a slow recovery is measured under load too (and the test checks it still ran at that point).
LOAD_SECONDS = RECOVERY_LIMIT_SECONDS
AFTER_LOAD_SECONDS = 1.5  # load while the recovered instance takes traffic again
CRASH_LOOP_WITHIN_SECONDS = 10.0  # three failed starts: 0.5 + 1 s of back-off and three exits
QUIET_SECONDS = 1.5  # back-off (0.5 s) and discovery (0.5 s) of a removed instance, with room


Figure = Callable[[str, str], None]  # the `figure` fixture (tests/e2e/conftest.py)


@dataclass
class Healing:
    mesh: Mesh
    supervisor: Supervisor
    workdir: Path
    reports: list[str]  # the supervisor's lines, as the launcher prints them


@pytest.fixture(scope="module")
def healing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Healing]:
    workdir = tmp_path_factory.mktemp("self-healing")
    reports: list[str] = []  # appended by watcher threads (list.append is atomic)
    with (
        running_mesh(workdir, services=["nft"], instances=INSTANCES) as mesh,
        supervising(mesh, report=reports.append) as supervisor,
        control_endpoint(mesh, workdir / "run" / "control.json", supervisor),
    ):
        yield Healing(mesh, supervisor, workdir, reports)
    for line in reports:
        print(f"supervisor: {line}")


def process(running: RunningInstance, part: Part) -> ManagedProcess:
    return running.app if part == "app" else running.sidecar


def make_status(healing: Healing) -> dict[str, dict]:
    """`make status`, as an operator runs it: instance id -> its entry."""
    command = [sys.executable, "-m", "mesh.ctl", "--workdir", str(healing.workdir), "status"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=True)
    services = json.loads(done.stdout)["services"]
    return {entry["id"]: entry for group in services.values() for entry in group}


@dataclass
class Writes:
    """Every mint sent (its key, its status); what each failed answer said, for the
    assertion's message."""

    mints: list[Mint] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    signalled: float = 0.0  # monotonic time of the signal: failures are noted relative to it

    @property
    def sent(self) -> list[str]:
        return [mint.key for mint in self.mints]

    @property
    def acknowledged(self) -> list[str]:
        """Keys of the mints the edge acknowledged (201)."""
        return [mint.key for mint in self.mints if mint.status == 201]


def senders(mesh: Mesh, owner: uuid.UUID, writes: Writes) -> dict[str, Send]:
    """GETs, and mints each with its own Idempotency-Key."""
    read = get(f"/api/nfts/user/{uuid.uuid4()}", mesh.edge_url)
    mint = keyed_mints(mesh, owner, "heal", writes.mints)

    def noted(response: httpx.Response) -> httpx.Response:
        if response.status_code >= 500:
            writes.failed.append(
                f"{time.monotonic() - writes.signalled:+.2f} s {response.request.method} "
                f"{response.status_code} "
                f"{response.text[:160]!r}"
            )
        return response

    return {
        "GET": lambda client, n: noted(read(client, n)),
        "POST": lambda client, n: noted(mint(client, n)),
    }


def heartbeat_since(mesh: Mesh, running: RunningInstance, wall_time: float) -> bool:
    """The registry has `running` SERVING, with a heartbeat after `wall_time`."""
    response = registry_get(mesh, f"/api/registry/services/nft/instances/{running.id}")
    if response.status_code != 200:
        return False
    entry = response.json()
    beat = datetime.fromisoformat(entry["lastHeartbeatAt"]).timestamp()
    return entry["status"] == "SERVING" and beat > wall_time


def routable(mesh: Mesh, running: RunningInstance) -> bool:
    assert mesh.edge is not None
    host = hosts(mesh.edge, "nft").get(address(running))
    return host is not None and host.routable


def served(mesh: Mesh, running: RunningInstance) -> int:
    """Requests the edge has had answered by `running` (0 once it dropped the host)."""
    assert mesh.edge is not None
    host = hosts(mesh.edge, "nft").get(address(running))
    return 0 if host is None else host.counters.get("rq_success", 0)


@dataclass(frozen=True)
class Recovery:
    """Seconds from the signal until the process was restarted, its app's new heartbeat
    reached the registry, the edge routed to it, and it answered requests from the edge; and
    the load meanwhile."""

    restarted: float
    registered: float
    routable: float
    serving: float
    load: LoadReport  # from before the signal until it was routable again
    loaded_until_back: bool  # the load still ran when it was routable again
    load_after: LoadReport  # then, while it took traffic again
    writes: Writes
    stored: list[str]  # names of the NFTs stored for the mints' owner

    @property
    def failures(self) -> list[Outcome]:
        return self.load.failures() + self.load_after.failures()

    @property
    def start(self) -> float:
        """The new process's own start: spawned, until its app's heartbeat was registered."""
        return self.registered - self.restarted

    @property
    def bound(self) -> float:
        return SERVING_WITHIN_SECONDS + max(0.0, self.start - NOMINAL_APP_START_SECONDS)

    def summary(self) -> str:
        return (
            f"restarted {self.restarted:.2f} s, registered by the new process "
            f"{self.registered:.2f} s, routable at the edge {self.routable:.2f} s, "
            f"serving {self.serving:.2f} s (the new process's start: {self.start:.2f} s)"
        )


def disrupted(
    healing: Healing, running: RunningInstance, part: Part, disrupt: Callable[[int], None]
) -> Recovery:
    """Load through the edge; `disrupt(pid)` one process of `running`; then wait (bounded)
    until it is back in every sense, and load it again."""
    mesh, owner, writes = healing.mesh, uuid.uuid4(), Writes()
    assert routable(mesh, running), "not routable before the test"
    old_pid = process(running, part).pid
    ok = frozenset({200, 201})
    during = Load(senders(mesh, owner, writes), WORKERS, LOAD_SECONDS, ok, INTERVAL_SECONDS)
    with during:
        poll(lambda: during.sent >= 15, "load flowing", 5)
        signalled = writes.signalled = time.monotonic()
        reported = len(healing.reports)

        def since() -> float:
            return time.monotonic() - signalled

        disrupt(old_pid)
        poll(lambda: process(running, part).pid != old_pid, "restarted", RECOVERY_LIMIT_SECONDS)
        restarted, respawned_at = since(), time.time()  # a later heartbeat is the new one's
        poll(
            lambda: heartbeat_since(mesh, running, respawned_at),
            "registered by the new process",
            RECOVERY_LIMIT_SECONDS,
        )
        registered = since()
        poll(lambda: routable(mesh, running), "routable at the edge", RECOVERY_LIMIT_SECONDS)
        back, loaded_until_back = since(), during.running
        load = during.report()
    baseline = served(mesh, running)
    after = Load(senders(mesh, owner, writes), WORKERS, AFTER_LOAD_SECONDS, ok, INTERVAL_SECONDS)
    with after:
        poll(lambda: served(mesh, running) > baseline, "serving requests from the edge", 5)
        serving = since()
        load_after = after.wait()
    stored = [nft["name"] for nft in owned_nfts(mesh, owner)]
    for line in healing.reports[reported:]:  # shown with a failure
        print(f"supervisor: {line}")
    return Recovery(
        restarted, registered, back, serving, load, loaded_until_back, load_after, writes, stored
    )


def report_figures(figure: Figure, what: str, recovery: Recovery) -> None:
    figure(f"{what}: from the signal", recovery.summary())
    figure(f"{what}: GET", f"{recovery.load.summary('GET')}; after: "
           f"{recovery.load_after.summary('GET')}")  # fmt: skip
    figure(f"{what}: keyed POST", f"{recovery.load.summary('POST')}; after: "
           f"{recovery.load_after.summary('POST')}")  # fmt: skip
    slowest = max(o.finished - o.started for o in recovery.load.outcomes)
    figure(f"{what}: slowest request during it", f"{slowest * 1000:.0f} ms")


def assert_healed(recovery: Recovery, restarted_within: float) -> None:
    assert recovery.restarted <= restarted_within, recovery.summary()
    assert recovery.serving <= recovery.bound, recovery.summary()
    # Requests flowed the whole time: a recovery slower than the load would pass unloaded.
    assert recovery.loaded_until_back, f"the load ended before the recovery: {recovery.summary()}"
    assert recovery.load.of("GET") and recovery.load.of("POST")
    assert recovery.failures == [], (recovery.failures[:5], recovery.writes.failed[:5])
    # Every mint was acknowledged and stored exactly once (a retried one replayed).
    writes = recovery.writes
    assert sorted(writes.acknowledged) == sorted(writes.sent)
    assert sorted(recovery.stored) == sorted(writes.acknowledged), "a retried POST minted twice"


def assert_restarted_once(
    healing: Healing, running: RunningInstance, part: Part, reason: str
) -> None:
    """`make status` shows the one restart and why; the other process never restarted."""
    entry = make_status(healing)[running.id]
    other: Part = "sidecar" if part == "app" else "app"
    assert entry["processes"][part]["restarts"] == 1, entry
    assert entry["processes"][part]["last_reason"].startswith(reason), entry
    assert entry["processes"][part]["state"] == "running", entry
    assert entry[f"{part}_pid"] == process(running, part).pid
    assert entry["processes"][other]["restarts"] == 0, entry
    assert any(line.startswith(f"{running.id} {part} restarted") for line in healing.reports), (
        healing.reports
    )


def test_a_killed_app_serves_again_and_no_request_fails(healing: Healing, figure) -> None:
    victim = healing.mesh.instances["nft"][0]
    recovery = disrupted(healing, victim, "app", lambda pid: os.kill(pid, signal.SIGKILL))
    report_figures(figure, "app SIGKILL", recovery)
    assert_healed(recovery, RESTARTED_AFTER_EXIT_WITHIN_SECONDS)
    assert_restarted_once(healing, victim, "app", "killed by SIGKILL")


def test_a_frozen_app_is_killed_and_serves_again(healing: Healing, figure) -> None:
    victim = healing.mesh.instances["nft"][1]
    frozen: list[subprocess.Popen[bytes]] = []

    def freeze(pid: int) -> None:
        frozen.append(victim.app.process)
        os.kill(pid, signal.SIGSTOP)

    try:
        recovery = disrupted(healing, victim, "app", freeze)
    finally:
        if frozen and frozen[0].poll() is None:  # not killed: let the mesh stop it
            os.kill(frozen[0].pid, signal.SIGCONT)
    report_figures(figure, "app SIGSTOP", recovery)
    assert_healed(recovery, RESTARTED_AFTER_FREEZE_WITHIN_SECONDS)
    assert_restarted_once(healing, victim, "app", "liveness: no answer to 3 probes")
    assert frozen[0].returncode == -signal.SIGKILL


def test_a_killed_sidecar_serves_again_and_no_request_fails(healing: Healing, figure) -> None:
    victim = healing.mesh.instances["nft"][0]
    recovery = disrupted(healing, victim, "sidecar", lambda pid: os.kill(pid, signal.SIGKILL))
    report_figures(figure, "sidecar SIGKILL", recovery)
    assert_healed(recovery, RESTARTED_AFTER_EXIT_WITHIN_SECONDS)
    entry = make_status(healing)[victim.id]
    sidecar = entry["processes"]["sidecar"]
    assert sidecar["restarts"] == 1 and sidecar["last_reason"] == "killed by SIGKILL", entry
    app_restarts = entry["processes"]["app"]["restarts"]  # 1 after the first test
    assert entry["restarts"] == app_restarts + 1, entry
    row = next(line for line in status_table(healing.mesh, healing.supervisor).splitlines()
               if f" {victim.id} " in line)  # fmt: skip
    assert f" {app_restarts + 1} (" in row and "sidecar: killed by SIGKILL)" in row, row


def test_a_process_that_cannot_start_backs_off_and_shows_crash_looping(
    healing: Healing, figure
) -> None:
    """nft-2's sidecar is killed and its admin port taken: each restart exits at once (cannot
    bind), waiting longer each time, never spinning; freed, it comes back."""
    mesh, supervisor, victim = healing.mesh, healing.supervisor, healing.mesh.instances["nft"][1]
    admin_port = victim.instance.ports.admin
    with socket.socket() as squatter:
        victim.sidecar.kill()
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind((HOST, admin_port))
        squatter.listen(1)
        started = time.monotonic()
        poll(
            lambda: supervisor.status(victim.id)["sidecar"]["crash_looping"],
            "shown as crash-looping",
            CRASH_LOOP_WITHIN_SECONDS,
        )
        looping_after = time.monotonic() - started
        entry = make_status(healing)[victim.id]
        row = next(line for line in status_table(mesh, healing.supervisor).splitlines()
                   if f" {victim.id} " in line)  # fmt: skip
    sidecar = entry["processes"]["sidecar"]
    waits = [line.rsplit("restart in ", 1)[1] for line in healing.reports
             if line.startswith(f"{victim.id} sidecar (pid")]  # fmt: skip
    figure("crash loop: shown as crash-looping after", f"{looping_after:.2f} s; waits {waits}")
    assert sidecar["state"] == "crash-loop back-off", entry
    assert sidecar["last_reason"] == "exited with code 1", entry  # Envoy: cannot bind
    assert 2 <= sidecar["restarts"] <= 3, entry  # backed off, not spinning
    assert sidecar["restart_in"] is not None and sidecar["restart_in"] > 0, entry
    assert waits[:3] == ["0.5 s", "1 s", "2 s (crash-looping)"], waits
    assert " crash-loop " in row, row
    # The port is free again: the next restart (after its back-off) serves.
    back = poll(lambda: routable(mesh, victim), "routable again", RECOVERY_LIMIT_SECONDS)
    figure("crash loop: routable again after the port was freed", f"{back:.2f} s")
    poll(lambda: supervisor.status(victim.id)["sidecar"]["state"] == "running", "running", 5)
    assert not make_status(healing)[victim.id]["processes"]["sidecar"]["crash_looping"]


def test_a_removed_instance_is_not_restarted(healing: Healing) -> None:
    """Added while supervised, it is watched; removed right after its app was killed (its
    restart pending), it stays removed."""
    mesh, supervisor = healing.mesh, healing.supervisor
    added = mesh.add_instance("nft")
    poll(
        lambda: supervisor.status(added.id).get("app", {}).get("state") == "running",
        "the added instance watched",
        5,
    )
    killed = added.app
    os.kill(killed.pid, signal.SIGKILL)
    mesh.remove_instance(added.id)
    assert not added.app.running and not added.sidecar.running
    poll(lambda: supervisor.status(added.id) == {}, "no longer watched", 5)
    with pytest.raises(AssertionError):  # nothing restarts it: the poll runs out
        poll(
            lambda: (
                any(line.startswith(f"{added.id} app restarted") for line in healing.reports)
                or added.app is not killed
            ),
            "restarted",
            QUIET_SECONDS,
        )
    assert added.id not in make_status(healing)
