"""What the launcher gives an instance's processes and takes back when it is removed, on real
processes: the apps' environment, and the instance's files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mesh.identity.agent import Workload
from mesh.processes import ManagedProcess, spawn
from mesh.runner import Mesh, RunningInstance
from mesh.topology import Instance
from mesh.zygote_client import ForkedProcess
from services.common.workload_identity import spiffe_id
from tests.support.mesh import poll
from tests.support.unstarted_mesh import unstarted_mesh, waiting

pytestmark = pytest.mark.integration


@pytest.fixture
def mesh() -> Iterator[Mesh]:
    with unstarted_mesh() as mesh:
        yield mesh


def environment_of(process: ManagedProcess) -> dict[str, str]:
    """A process's environment: a forked app's is the one its parent set up for it
    (tests/integration/test_zygote.py shows it is exactly that); a spawned one's, as the kernel
    holds it. Popen returns as its exec begins: /proc shows the environment a moment later
    (empty until then)."""
    if isinstance(process.process, ForkedProcess):
        return process.process.environment
    path = Path(f"/proc/{process.pid}/environ")
    poll(path.read_bytes, "showing its environment", within=5)
    raw = path.read_bytes()
    return dict(entry.decode().partition("=")[::2] for entry in raw.split(b"\0") if entry)


def test_apps_authenticate_callers_whatever_the_operators_shell_says(
    mesh: Mesh, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAPSURE_AUTHENTICATE_CALLERS", "false")
    spec = mesh.topology.services["nft"]
    app = mesh.spawn_app(Instance(spec, "nft-1", mesh.instance_ports(spec, "nft-1")))
    try:
        assert environment_of(app)["CAPSURE_AUTHENTICATE_CALLERS"] == "true"
    finally:
        app.kill()


def test_a_removed_instance_leaves_neither_its_sockets_nor_its_identity(mesh: Mesh) -> None:
    spec = mesh.topology.services["nft"]
    instance = Instance(spec, "nft-1", mesh.instance_ports(spec, "nft-1"))
    assert isinstance(instance.ports.app_http, Path)
    sockets = instance.ports.app_http.parent
    (sockets / "app.sock").touch()  # as a killed app leaves its socket file
    mesh.operator  # noqa: B018 (the node agent, as the mesh starts it)
    assert mesh.agent is not None
    identity = mesh.agent.provision(Workload("nft-1", spiffe_id("nft")))
    # Stand-ins for the app and its sidecar: real processes that wait to be stopped.
    processes = [spawn(name, waiting(), {}, mesh.workdir / "log") for name in ("app", "sidecar")]
    running = RunningInstance(instance, *processes)  # type: ignore[arg-type]
    mesh.instances["nft"] = [running]

    mesh.remove_instance("nft-1")
    assert not any(p.running for p in processes)
    assert not sockets.exists()
    assert not identity.exists()


def test_a_start_interrupted_twice_leaves_nothing_running(
    mesh: Mesh, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while the mesh starts, and again while it stops what it had started: what was
    left is stopped with the mesh (`make run`'s `finally`), not left running."""
    started: list[ManagedProcess] = []

    def interrupted() -> None:
        started.extend(mesh._starting)
        raise KeyboardInterrupt

    stopping = mesh._stop_starting
    calls = iter([KeyboardInterrupt, None])

    def stop_cut_short() -> None:
        if (second := next(calls)) is not None:
            raise second
        stopping()

    monkeypatch.setattr(mesh, "_await_core", interrupted)
    monkeypatch.setattr(mesh, "_stop_starting", stop_cut_short)
    with pytest.raises(KeyboardInterrupt):
        mesh.start(instances={"nft": 1, "notification": 1, "user": 0, "analytics": 0, "trading": 0})
    assert len(started) == 4  # nft's and notification's sidecars and apps
    assert all(p.running for p in started)
    mesh.stop()
    assert not any(p.running for p in started)
