"""A private PostgreSQL cluster for one test: initdb into a temp dir, trust auth, loopback and a
free port only, so a test may stop and start it at will (the machine's shared server is never
touched: other tests use it in parallel).

`private_postgres()` skips the calling test, saying why, when there are no PostgreSQL binaries
or initdb cannot run (as root it runs them as the `postgres` user, since initdb and postgres
refuse root). The cluster is stopped and its directory removed on the way out, always.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest

from mesh.ports import free_port

# Where Debian/Ubuntu and this machine put the server binaries; the first complete set wins.
BINARY_DIRS = (
    "/usr/local/bin",
    *sorted(map(str, Path("/usr/lib/postgresql").glob("*/bin")), reverse=True),
)
INITDB_TIMEOUT_SECONDS = 60.0
PG_CTL_TIMEOUT_SECONDS = 20  # pg_ctl -w -t: how long start/stop may take before it gives up
SERVER_USER = "postgres"  # the cluster's superuser (trust auth: no password)

StopMode = Literal["smart", "fast", "immediate"]


@dataclass(frozen=True)
class _RunAs:
    """Who runs the server binaries: None for the current user, or (uid, gid) when root."""

    uid: int | None = None
    gid: int | None = None


@dataclass
class PrivateCluster:
    """One running (or stopped) cluster. `stop`/`start` keep its data dir and port."""

    bin_dir: Path
    base: Path  # owns everything: data/, the socket, logs
    port: int
    run_as: _RunAs

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    @property
    def server_log(self) -> Path:
        return self.base / "server.log"

    @property
    def url(self) -> str:
        """Server URL without a database: append `/<name>`."""
        return f"postgres://{SERVER_USER}@127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start and wait (bounded) until it accepts connections; raises on failure."""
        options = " ".join(
            [
                "-c listen_addresses=127.0.0.1",
                f"-p {self.port}",
                f"-c unix_socket_directories={self.base}",
                # The fault injected is a server crash, not a power loss: a commit has written
                # its WAL to the OS before it is acknowledged whether or not it is fsynced, so
                # fsync off keeps the test fast without weakening what it checks.
                "-c fsync=off",
                "-c shared_buffers=16MB",
                "-c max_connections=40",
            ]
        )
        self._pg_ctl("start", "-l", str(self.server_log), "-o", options)

    def stop(self, mode: StopMode = "fast") -> None:
        """`immediate`: every server process quits at once, as in a crash (recovery on start)."""
        self._pg_ctl("stop", "-m", mode)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.server_log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def _pg_ctl(self, *args: str) -> None:
        run = _run(
            self.run_as,
            self.base,
            [
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-w",
                "-t",
                str(PG_CTL_TIMEOUT_SECONDS),
                *args,
            ],
            timeout=PG_CTL_TIMEOUT_SECONDS + 10,
        )
        if run.returncode != 0:
            raise RuntimeError(
                f"pg_ctl {args[0]} failed ({run.returncode}): {run.output}\n{self.log_tail()}"
            )

    def kill_leftover(self) -> None:
        """Last resort when pg_ctl could not stop it: SIGKILL our own postmaster, by its pid."""
        with suppress(OSError, ValueError, IndexError):
            pid = int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])
            os.kill(pid, signal.SIGKILL)


@dataclass(frozen=True)
class _Ran:
    returncode: int
    output: str


def _run(run_as: _RunAs, cwd: Path, command: list[str], timeout: float) -> _Ran:
    # Output goes to a file, not a pipe: pg_ctl leaves the postmaster running in the
    # background, and a pipe it inherited would keep a reader waiting for its end.
    with tempfile.TemporaryFile() as output:
        try:
            completed = subprocess.run(
                command,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                user=run_as.uid,
                group=run_as.gid,
                extra_groups=[] if run_as.uid is not None else None,
                env={**os.environ, "LC_ALL": "C", "PGTZ": "UTC"},
            )
            returncode = completed.returncode
        except subprocess.TimeoutExpired:
            returncode = -1
        except OSError as error:  # not executable by the server user, say: a reason to skip
            return _Ran(127, repr(error))
        output.seek(0)
        text = output.read().decode(errors="replace").strip()
    if returncode == -1:
        text += f"\n(timed out after {timeout}s)"
    return _Ran(returncode, text[-2000:])


def _binaries() -> Path | None:
    for directory in map(Path, BINARY_DIRS):
        # pg_ctl finds `postgres` next to its real location, not next to a symlink to it.
        real = (directory / "pg_ctl").resolve().parent
        if all((real / name).exists() for name in ("initdb", "pg_ctl", "postgres")):
            return real
    return None


def _who_runs_it() -> _RunAs | str:
    """The current user, or the `postgres` user when root; a reason to skip otherwise."""
    if os.geteuid() != 0:
        return _RunAs()
    try:
        entry = pwd.getpwnam(SERVER_USER)
    except KeyError:
        return f"running as root and there is no '{SERVER_USER}' user to run initdb as"
    return _RunAs(entry.pw_uid, entry.pw_gid)


@contextmanager
def private_postgres(prefix: str = "capsure-pg-") -> Iterator[PrivateCluster]:
    """A fresh cluster on 127.0.0.1:<free port>, started; stopped and deleted afterwards."""
    bin_dir = _binaries()
    if bin_dir is None:
        pytest.skip(f"no PostgreSQL server binaries (initdb, pg_ctl) in {', '.join(BINARY_DIRS)}")
    run_as = _who_runs_it()
    if isinstance(run_as, str):
        pytest.skip(run_as)
    # Not under pytest's tmp_path: as root that is 0700 root's, and the server user must own
    # its directory. A short path also keeps the unix socket's path under its length limit.
    base = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        if run_as.uid is not None:
            os.chown(base, run_as.uid, run_as.gid or -1)
        cluster = PrivateCluster(bin_dir, base, free_port(), run_as)
        initdb = _run(
            run_as,
            base,
            [
                str(bin_dir / "initdb"),
                "-D",
                str(cluster.data_dir),
                "-A",
                "trust",
                "-U",
                SERVER_USER,
                "-E",
                "UTF8",
                "--no-sync",  # a throw-away cluster: nothing to make durable yet
            ],
            timeout=INITDB_TIMEOUT_SECONDS,
        )
        if initdb.returncode != 0:
            pytest.skip(
                f"initdb failed ({initdb.returncode}), no private PostgreSQL: {initdb.output}"
            )
        try:
            cluster.start()
        except RuntimeError as error:
            pytest.skip(f"private PostgreSQL did not start: {error}")
        try:
            yield cluster
        finally:
            try:
                cluster.stop("immediate")
            except RuntimeError:
                # Already stopped by the test, or pg_ctl stuck: make sure nothing is left.
                cluster.kill_leftover()
    finally:
        shutil.rmtree(base, ignore_errors=True)
