"""The preloaded parent (mesh/zygote.py) on real processes: what it forks serves with exactly
the environment it was given and says so; one child's bad settings harm no other; its death
takes its children with it, and the launcher's death takes it; a hostile request is refused."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mesh.processes import RegistryProcess, start_registry, status_of
from mesh.zygote import FDS_PER_REQUEST, MAX_MESSAGE_BYTES
from mesh.zygote_client import ForkedProcess, Zygote
from tests.support.mesh import poll
from tests.support.unstarted_mesh import short_workdir

pytestmark = pytest.mark.integration

REGISTRY = "services.registry"  # the lightest real app
WITHIN = 60.0  # a first fork imports the stack: seconds, more on a busy host


@pytest.fixture
def workdir() -> Iterator[Path]:
    with short_workdir() as workdir:  # sockets' paths must fit sun_path
        yield workdir


@pytest.fixture
def zygote(workdir: Path) -> Iterator[Zygote]:
    parent = Zygote(workdir / "log", [REGISTRY])
    try:
        yield parent
    finally:
        parent.stop()


def forked_registry(
    zygote: Zygote, workdir: Path, name: str, env: dict[str, str] | None = None
) -> RegistryProcess:
    sockets = workdir / name
    sockets.mkdir(mode=0o700)
    return start_registry(
        REGISTRY,
        workdir / "log" / name,
        rest=sockets / "rest.sock",
        xds=sockets / "xds.sock",
        extra_env=env,
        zygote=zygote,
    )


def alive(pid: int) -> bool:
    """Whether `pid` is a process that has not ended (a zombie has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_a_forked_app_serves_says_so_and_stops_gracefully(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In the parent's own environment, a setting no registry starts with: a child that
    # inherited it instead of the one it is given would not serve.
    monkeypatch.setenv("REGISTRY_PORT", "not-a-port")
    parent = Zygote(workdir / "log", [REGISTRY])
    monkeypatch.delenv("REGISTRY_PORT")
    try:
        registry = forked_registry(parent, workdir, "registry")
        assert isinstance(registry.process, ForkedProcess)
        assert registry.process.environment.get("REGISTRY_PORT") is None

        registry.wait_ready(WITHIN)
        assert registry.ready is not None and registry.ready.word == "serving"
        assert Path(f"/proc/{registry.pid}/comm").read_text().strip() == "registry"
        assert status_of(registry.rest, "/healthz") == 200
        assert registry.stop() == 0  # SIGTERM: drained, stopped, its code reported
        assert not alive(registry.pid)
    finally:
        parent.stop()


def test_bad_settings_in_one_child_do_not_take_the_others_down(
    zygote: Zygote, workdir: Path
) -> None:
    good = forked_registry(zygote, workdir, "good")
    good.wait_ready(WITHIN)

    bad = forked_registry(zygote, workdir, "bad", {"REGISTRY_INSTANCE_TTL_SECONDS": "soon"})
    assert bad.process.wait(WITHIN) == 1
    assert bad.ready is not None and bad.ready.wait(0) == ""  # closed without a word
    assert "validation error" in bad.log_tail()

    assert status_of(good.rest, "/healthz") == 200
    again = forked_registry(zygote, workdir, "again")
    again.wait_ready(WITHIN)
    for registry in (good, again):
        registry.stop()


def test_a_killed_child_is_reported_as_killed(zygote: Zygote, workdir: Path) -> None:
    registry = forked_registry(zygote, workdir, "registry")
    registry.wait_ready(WITHIN)
    os.kill(registry.pid, signal.SIGKILL)
    assert registry.process.wait(WITHIN) == -signal.SIGKILL
    assert not registry.running


def test_the_parents_death_kills_its_children_and_the_next_fork_starts_another(
    zygote: Zygote, workdir: Path
) -> None:
    child = forked_registry(zygote, workdir, "first")
    child.wait_ready(WITHIN)
    assert zygote.pid is not None
    os.kill(zygote.pid, signal.SIGKILL)

    assert child.process.wait(WITHIN) == -signal.SIGKILL
    poll(lambda: not alive(child.pid), "the orphan gone", within=10)

    second = forked_registry(zygote, workdir, "second")
    second.wait_ready(WITHIN)
    assert status_of(second.rest, "/healthz") == 200
    second.stop()


LAUNCHER = """
import sys
from pathlib import Path
from mesh.processes import start_registry
from mesh.zygote_client import Zygote

workdir = Path(sys.argv[1])
parent = Zygote(workdir / "log", ["services.registry"])
registry = start_registry(
    "services.registry", workdir / "log", rest=workdir / "rest.sock", xds=workdir / "xds.sock",
    zygote=parent,
)
registry.wait_ready(60)
print(parent.pid, registry.pid, flush=True)
sys.stdin.read()  # until the test kills this process
"""


def test_a_crashed_launcher_leaves_neither_the_parent_nor_its_children(workdir: Path) -> None:
    launcher = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, str(workdir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert launcher.stdout is not None
        parent, child = map(int, launcher.stdout.readline().split())
        assert alive(parent) and alive(child)
        launcher.kill()  # no clean-up of its own
        launcher.wait()
        # The child is asked to stop gracefully first (it drains), then the parent ends.
        poll(lambda: not alive(child) and not alive(parent), "both gone", within=30)
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()


@pytest.fixture
def raw_parent(workdir: Path) -> Iterator[socket.socket]:
    """`python -m mesh.zygote` on a socket pair of the test's own, nothing preloaded."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    process = subprocess.Popen(
        [sys.executable, "-m", "mesh.zygote", str(theirs.fileno())],
        pass_fds=[theirs.fileno()],
    )
    theirs.close()
    try:
        yield ours
    finally:
        ours.close()
        assert process.wait(30) == 0  # our end closed: it exits on its own


def ask(control: socket.socket, message: bytes, fds: int = FDS_PER_REQUEST) -> dict[str, object]:
    pipes = [os.pipe() for _ in range(fds)]
    try:
        socket.send_fds(control, [message], [r for r, _ in pipes])
    finally:
        for r, w in pipes:
            os.close(r)
            os.close(w)
    control.settimeout(30)
    data, received, _, _ = socket.recv_fds(control, MAX_MESSAGE_BYTES, 1)
    assert received == []  # nothing forked, no pidfd
    return json.loads(data)


@pytest.mark.parametrize(
    ("message", "fds", "refusal"),
    [
        (b"not json", 2, "not JSON"),
        (b'{"op": "exec", "id": 1}', 2, "not a fork request"),
        (b'{"op": "fork", "id": 1, "module": "os", "env": {}}', 2, "is not services.<name>"),
        (b'{"op": "fork", "id": 1, "module": "services.x;rm", "env": {}}', 2, "services.<name>"),
        (b'{"op": "fork", "id": 1, "module": "services.nft", "env": {"A": 1}}', 2, "string"),
        (b'{"op": "fork", "id": 1, "module": "services.nft", "env": {"A=B": ""}}', 2, "hold"),
        (b'{"op": "fork", "id": 1, "module": "services.nft", "env": {}}', 2, "name is not"),
        (b'{"op": "fork", "id": 1, "module": "services.nft", "env": {}, "name": "a b"}', 2, "name"),
        (b'{"op": "fork", "id": 1, "module": "services.nft", "env": {}, "name": "x"}', 1, "one"),
        (b"x" * (MAX_MESSAGE_BYTES + 1), 2, "one message"),
    ],
)
def test_a_hostile_request_is_refused_and_the_parent_carries_on(
    raw_parent: socket.socket, message: bytes, fds: int, refusal: str
) -> None:
    reply = ask(raw_parent, message, fds)
    assert reply["op"] == "failed"
    # The refusal names the request when it had an id: the launcher's wait for it ends.
    assert reply["id"] == (
        1 if b'"id": 1' in message and len(message) < MAX_MESSAGE_BYTES else None
    )
    assert refusal in str(reply["error"])
    assert len(str(reply["error"])) <= 500  # what it echoes is bounded
    again = ask(raw_parent, b"still there?")
    assert again["op"] == "failed"
