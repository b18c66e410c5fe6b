"""The supervisor kills a process that stopped answering with SIGKILL, holding the mesh's lock:
a process SIGKILL does not end at once (in uninterruptible sleep on a hung disk or network file
system) must not hold that lock, and with it every add, remove and restart, for as long."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator

import pytest

from mesh import supervisor as supervision
from mesh.processes import AppProcess, EnvoyProcess
from mesh.restarts import LivenessPolicy, RestartPolicy
from mesh.runner import Mesh, RunningInstance
from mesh.supervisor import Supervisor
from mesh.topology import Instance
from tests.support.mesh import poll
from tests.support.unstarted_mesh import unstarted_mesh, waiting

pytestmark = pytest.mark.integration

KILL_WAIT_SECONDS = 0.5
# Long enough that, were the wait for its end unbounded, the test would see no report in time.
STUCK_SECONDS = 30


class EndsLate(subprocess.Popen[bytes]):
    """A process that SIGKILL does not end at once: here, SIGKILL reaches it only at the end."""

    def kill(self) -> None:
        pass

    def really_kill(self) -> None:
        self.send_signal(signal.SIGKILL)
        self.wait()


@pytest.fixture
def mesh() -> Iterator[Mesh]:
    with unstarted_mesh() as mesh:
        yield mesh


def test_a_process_sigkill_does_not_end_at_once_holds_the_mesh_for_a_bounded_time(
    mesh: Mesh, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(supervision, "KILL_WAIT_SECONDS", KILL_WAIT_SECONDS)
    spec = mesh.topology.services["nft"]
    instance = Instance(spec, "nft-1", mesh.instance_ports(spec, "nft-1"))
    log = mesh.workdir / "log"
    log.mkdir()
    # Stand-ins that never answer a probe: the app stuck, its sidecar an ordinary process.
    app_process = EndsLate(waiting(STUCK_SECONDS))
    app = AppProcess("nft-1", app_process, log / "nft-1.log", instance=instance)
    sidecar = EnvoyProcess(
        "nft-1-sidecar",
        subprocess.Popen(waiting(STUCK_SECONDS)),
        log / "nft-1-sidecar.log",
        admin_port=instance.ports.admin,
        config_path=log / "unused.yaml",
    )
    mesh.instances["nft"] = [RunningInstance(instance, sidecar, app)]
    reports: list[str] = []
    supervisor = Supervisor(
        mesh,
        report=reports.append,
        liveness=LivenessPolicy(period=0.1, timeout=0.1, start_timeout=0.3),
        restart=RestartPolicy(first_delay=600),  # no restart within the test
    )
    try:
        supervisor.start()
        # The report comes once the watcher let go of the mesh's lock.
        poll(lambda: any(r.startswith("nft-1 app") for r in reports), "app killed", within=10)
        (line,) = [r for r in reports if r.startswith("nft-1 app")]
        assert f"SIGKILL (not ended after {KILL_WAIT_SECONDS:g} s)" in line
        assert app.running  # it ends when it ends; the mesh goes on meanwhile
    finally:
        supervisor.stop()
        app_process.really_kill()
