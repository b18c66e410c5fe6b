"""The launcher's side of the preloaded parent (mesh/zygote.py): start it, have it fork apps, and
hold each forked app as a `ForkedProcess`, the part of subprocess.Popen that ManagedProcess and
the supervisor use (poll, wait, send_signal, kill, returncode), so that nothing above cares
whether an app was spawned or forked.

Signals go through the child's pidfd (handed over by the parent): never to a recycled pid. Its
return code is the parent's to know (it reaps it) and arrives as an `exited` message; when the
parent itself dies its children die with it (PR_SET_PDEATHSIG), are seen to, and show as killed
by SIGKILL; the next fork starts a new parent."""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mesh.zygote import MAX_MESSAGE_BYTES

# The first fork of a service waits for the parent to import it (a second or two; half a
# minute on a very busy host).
FORK_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0
# The parent gone: its children get SIGKILL from the kernel; this long at most to see them end.
ORPHANS_END_SECONDS = 5.0


class ForkFailed(RuntimeError):
    """The preloaded parent could not fork the app."""


class ForkedProcess:
    """An app the preloaded parent forked, as the launcher sees it."""

    def __init__(self, pid: int, pidfd: int, args: Sequence[str]) -> None:
        self.pid, self.args = pid, list(args)
        self.returncode: int | None = None
        # Its os.environ, whole (/proc/<pid>/environ shows the parent's, from its exec).
        self.environment: dict[str, str] = {}
        self._pidfd: int | None = pidfd
        self._ended = threading.Event()
        self._lock = threading.Lock()  # a signal is never sent through a closed pidfd

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended.wait(timeout):
            raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        with self._lock:
            if self._pidfd is not None and self.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    signal.pidfd_send_signal(self._pidfd, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def ended(self, returncode: int) -> None:
        """Reaped by the parent (or dead with it): its return code, and the pidfd released."""
        with self._lock:
            self.returncode = returncode
            if self._pidfd is not None:
                os.close(self._pidfd)
                self._pidfd = None
        self._ended.set()

    def orphaned(self) -> None:
        """The parent died: the kernel kills this child (PR_SET_PDEATHSIG); make sure, wait for
        its end (its pidfd turns readable), and record it as killed."""
        self.kill()
        with self._lock:
            pidfd = self._pidfd
            if pidfd is not None:
                select.select([pidfd], [], [], ORPHANS_END_SECONDS)
        self.ended(-signal.SIGKILL)


@dataclass
class _Pending:
    parent: subprocess.Popen[bytes]  # asked of this parent
    done: threading.Event = field(default_factory=threading.Event)
    process: ForkedProcess | None = None
    error: str = ""


class Zygote:
    """The preloaded parent, started at once (it imports `preload` while the launcher does
    everything else) and again when a fork finds it dead."""

    def __init__(
        self, log_dir: Path, preload: Sequence[str], bytecode_cache: Path | None = None
    ) -> None:
        """`bytecode_cache`: where the parent keeps compiled modules when the environment
        says not to write them beside the sources (PYTHONDONTWRITEBYTECODE)."""
        self._log_dir, self._preload = log_dir, list(preload)
        self._bytecode_cache = bytecode_cache
        self._lock = threading.Lock()  # one parent at a time; requests and replies matched
        self._ids = 0
        self._pending: dict[int, _Pending] = {}
        self._children: dict[int, tuple[ForkedProcess, subprocess.Popen[bytes]]] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None
        self._start()

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._log_dir.mkdir(parents=True, exist_ok=True)
        with theirs, (self._log_dir / "zygote.log").open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "mesh.zygote", str(theirs.fileno()), *self._preload],
                pass_fds=[theirs.fileno()],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self._environment(),
            )
        self._control = ours
        threading.Thread(
            target=self._read, args=(ours, self._process), name="zygote-replies", daemon=True
        ).start()

    def _environment(self) -> dict[str, str]:
        """The launcher's, and a bytecode cache: with PYTHONDONTWRITEBYTECODE every import
        compiles its source again (half of an app's import time), so the parent writes what it
        compiles under the workdir instead (PYTHONPYCACHEPREFIX), never beside the sources:
        the next start on that workdir reads it."""
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if self._bytecode_cache is not None and env.pop("PYTHONDONTWRITEBYTECODE", ""):
            env["PYTHONPYCACHEPREFIX"] = str(self._bytecode_cache.resolve())
        return env

    def fork(
        self, name: str, module: str, env: Mapping[str, str], log: int, ready: int
    ) -> ForkedProcess:
        """Fork `module`'s app with exactly `env` as its environment, `log` (a file descriptor)
        as its stdout and stderr and `ready` its readiness pipe's write end (both stay ours to
        close). Returns once forked; ForkFailed if it could not be."""
        request = {"op": "fork", "module": module, "env": dict(env), "name": name}
        with self._lock:
            if not self.running:
                self.stop()
                self._start()
            self._ids += 1
            request["id"] = pending_id = self._ids
            assert self._process is not None
            pending = self._pending[pending_id] = _Pending(self._process)
            message = json.dumps(request).encode()
            if len(message) > MAX_MESSAGE_BYTES:
                del self._pending[pending_id]
                raise ForkFailed(f"{name}: its environment is over {MAX_MESSAGE_BYTES} bytes")
            assert self._control is not None
            try:
                socket.send_fds(self._control, [message], [log, ready])
            except OSError as error:
                del self._pending[pending_id]
                raise ForkFailed(f"{name}: the preloaded parent is gone ({error})") from None
        if not pending.done.wait(FORK_TIMEOUT_SECONDS):
            with self._lock:
                self._pending.pop(pending_id, None)  # forked later, it is killed (_handle)
            raise ForkFailed(f"{name}: not forked after {FORK_TIMEOUT_SECONDS:g} s")
        if pending.process is None:
            raise ForkFailed(f"{name}: {pending.error}")
        pending.process.args = [sys.executable, "-m", module]
        pending.process.environment = dict(env)
        return pending.process

    def _read(self, control: socket.socket, process: subprocess.Popen[bytes]) -> None:
        """The parent's replies, until it is gone; then what it leaves behind is seen to."""
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(control, MAX_MESSAGE_BYTES, 1)
            except OSError:
                break
            if not data:
                break
            try:
                self._handle(json.loads(data), fds, process)
            except (ValueError, KeyError, TypeError, IndexError):
                for fd in fds:
                    os.close(fd)
        self._parent_gone(control, process)

    def _handle(
        self, message: dict[str, Any], fds: list[int], parent: subprocess.Popen[bytes]
    ) -> None:
        op = message["op"]
        if op == "forked":
            child = ForkedProcess(int(message["pid"]), fds[0], [])
            with self._lock:
                self._children[child.pid] = (child, parent)
                pending = self._pending.pop(message["id"], None)
            if pending is not None:
                pending.process = child
                pending.done.set()
            else:  # its requester gave up waiting: nobody would ever stop it
                child.kill()
        elif op == "failed":
            with self._lock:
                pending = self._pending.pop(message["id"], None)
            if pending is not None:
                pending.error = str(message["error"])
                pending.done.set()
        elif op == "exited":
            with self._lock:
                ended = self._children.pop(int(message["pid"]), None)
            if ended is not None:
                ended[0].ended(int(message["returncode"]))

    def _parent_gone(self, control: socket.socket, parent: subprocess.Popen[bytes]) -> None:
        """Its children died with it; requests it had not answered failed."""
        with self._lock:
            orphans = [c for c, p in self._children.values() if p is parent]
            for orphan in orphans:
                del self._children[orphan.pid]
            pending = [p for p in self._pending.values() if p.parent is parent]
            self._pending = {i: p for i, p in self._pending.items() if p.parent is not parent}
        for waiting in pending:
            waiting.error = "the preloaded parent exited"
            waiting.done.set()
        for orphan in orphans:
            orphan.orphaned()
        with contextlib.suppress(OSError):
            control.close()

    def stop(self) -> None:
        """Close our sending end: the parent stops the children it still has (telling us how
        they ended), then exits."""
        if self._control is not None:
            with contextlib.suppress(OSError):
                self._control.shutdown(socket.SHUT_WR)
        if self._process is not None:
            try:
                self._process.wait(STOP_TIMEOUT_SECONDS + 2)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
