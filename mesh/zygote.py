"""The preloaded parent (a "zygote", gunicorn's `--preload`): one process imports the services'
shared stack (Connexion, Tortoise, betterproto, grpclib, uvicorn and every service's modules)
once, then forks each app instance, which builds its app and serves exactly as
`python -m services.<name>` does. Ten apps importing the same ~1.3 s of modules each was most of
`make run`'s start-up on 2 cores.

`python -m mesh.zygote <control fd> <module>...`, started by the launcher (mesh/zygote_client.py)
with one end of a SOCK_SEQPACKET socket pair. Requests, one JSON message each, carry two file
descriptors: the app's log (its stdout and stderr) and the write end of its readiness pipe
(services/common/serve.py). Replies: `forked` with the child's pidfd, `failed`, and `exited`
with the child's return code once reaped here.

Rules that keep forking safe and the children indistinguishable from spawned ones:
- Nothing here creates a thread, an event loop, a database connection or a socket other than
  the control one before a fork; a fork with another thread alive is refused.
- A child dies with this parent (PR_SET_PDEATHSIG), and this parent ends when the launcher's
  end of the socket closes (the launcher exited, however): a crash leaves no orphans.
- Ctrl-C reaches the whole process group: this parent ignores SIGINT (the launcher drains the
  apps, then stops it); children get Python's own signal handling back.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import gc
import importlib
import json
import logging
import os
import pkgutil
import re
import selectors
import signal
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any

from services.common.json_logs import configure_json_logging
from services.common.readiness import READY_FD_ENV

log = logging.getLogger("mesh.zygote")

# Requests come from the launcher only (a socket pair nobody else holds); still bounded.
MAX_MESSAGE_BYTES = 64 * 1024
MAX_ENV_ENTRIES = 1000
FDS_PER_REQUEST = 2  # the log, the readiness pipe's write end
# A service package, as mesh.yaml names it: `services.<name>`, run by its `__main__.main()`.
MODULE_NAME = re.compile(r"services\.[a-z][a-z0-9_]{0,40}")
PR_SET_PDEATHSIG = 1
PR_SET_NAME = 15
PROCESS_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
# What every app imports, loaded before anyone asks; then, per service, its package (its
# migrations too: Tortoise imports them at start). The third-party modules are the ones apps
# import lazily once they run (uvicorn's loop and protocols, httpx's transports, Tortoise's
# SQLite backend): imported here, they are not compiled again in every child (with
# PYTHONDONTWRITEBYTECODE, as here, every import compiles its source).
SHARED_STACK = (
    "services.common.serve",
    "services.common.rest_app",
    "services.common.database",
    "services.common.grpc_servables",
    "uvicorn.lifespan.on",
    "uvicorn.loops.auto",
    "uvicorn.loops.uvloop",
    "uvicorn.protocols.http.auto",
    "uvicorn.protocols.http.httptools_impl",
    "uvicorn.protocols.websockets.auto",
    "uvicorn.protocols.websockets.websockets_sansio_impl",
    "httpcore",
    "h11",
    "h2.connection",
    "anyio._backends._asyncio",
    "aiosqlite",
    "tortoise.backends.sqlite",
    "tortoise.backends.asyncpg",
)
# The launcher gone without stopping its apps: how long they get to drain (mesh.processes
# gives a stopping process as long).
ORPHAN_STOP_SECONDS = 10.0


class BadRequest(ValueError):
    """A request this parent will not act on; `request_id` when it had a usable one, so that
    the launcher's wait for that request ends with the refusal."""

    def __init__(self, message: str, request_id: int | None = None) -> None:
        super().__init__(message)
        self.request_id = request_id


def request_id_of(data: bytes) -> int | None:
    """The integer id of a request, however wrong the rest of it is."""
    try:
        request = json.loads(data)
    except ValueError:
        return None
    found = request.get("id") if isinstance(request, dict) else None
    return found if isinstance(found, int) and not isinstance(found, bool) else None


@dataclass(frozen=True)
class ForkRequest:
    id: int
    module: str  # services.<name>
    env: dict[str, str]  # the child's whole environment
    name: str  # the instance's, as `ps -o comm` and top show the child (15 bytes of it)


def parse_request(data: bytes) -> ForkRequest:
    """A fork request, or BadRequest saying what is wrong with it."""
    try:
        request = json.loads(data)
    except ValueError:
        raise BadRequest("not JSON") from None
    if not isinstance(request, dict) or request.get("op") != "fork":
        raise BadRequest("not a fork request")
    request_id, module, env = request.get("id"), request.get("module"), request.get("env")
    if not isinstance(request_id, int) or isinstance(request_id, bool):
        raise BadRequest("no integer id")
    if not isinstance(module, str) or not MODULE_NAME.fullmatch(module):
        raise BadRequest(f"module {str(module)[:60]!r} is not services.<name>")
    if not isinstance(env, dict) or len(env) > MAX_ENV_ENTRIES:
        raise BadRequest(f"env is not a mapping of at most {MAX_ENV_ENTRIES} entries")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
        raise BadRequest("env has a name or value that is not a string")
    if any("\0" in k or "=" in k or not k or "\0" in v for k, v in env.items()):
        raise BadRequest("env has a name or value no environment can hold")
    name = request.get("name")
    if not isinstance(name, str) or not PROCESS_NAME.fullmatch(name):
        raise BadRequest("name is not 1-64 letters, digits, '.', '_' or '-'")
    return ForkRequest(request_id, module, env, name)


def exit_code(exit: SystemExit) -> int:
    """The status `python -m` ends with after `sys.exit(code)`."""
    if exit.code is None:
        return 0
    if isinstance(exit.code, int):
        return exit.code
    print(exit.code, file=sys.stderr)
    return 1


class Zygote:
    def __init__(self, control: socket.socket, preload: list[str]) -> None:
        self.control = control
        services = [m for m in preload if MODULE_NAME.fullmatch(m)]
        self.preload = [*SHARED_STACK, *services]
        self.loaded: set[str] = set()
        self.pid = os.getpid()
        self.selector = selectors.DefaultSelector()
        self.children: dict[int, int] = {}  # pid -> its pidfd (readable once it exited)

    def run(self) -> None:
        """Serve requests until the launcher's end closes; meanwhile, when idle, preload.
        Then stop the children left (the launcher stops them itself unless it crashed)."""
        self.selector.register(self.control, selectors.EVENT_READ)
        while True:
            events = self.selector.select(0 if self.preload else None)
            if not events and self.preload:
                self.load(self.preload.pop(0))
                continue
            for key, _ in events:
                if key.fileobj is self.control:
                    if not self.serve_request():
                        self.stop_children()
                        return
                else:
                    self.reap(key.data)

    def stop_children(self) -> None:
        """SIGTERM to every child (each drains and stops), reaped within ORPHAN_STOP_SECONDS;
        this parent's exit SIGKILLs whatever is left (PR_SET_PDEATHSIG)."""
        self.selector.unregister(self.control)
        for pid in self.children:
            os.kill(pid, signal.SIGTERM)  # not reaped yet: the pid is still this child's
        deadline = time.monotonic() + ORPHAN_STOP_SECONDS
        while self.children and (left := deadline - time.monotonic()) > 0:
            for key, _ in self.selector.select(left):
                self.reap(key.data)

    def load(self, module: str) -> None:
        """Import a module of the shared stack, or a service: its `__main__` (hence its
        bootstrap) and every module of its package. What fails to import is forked all the
        same: the child fails with the traceback in the app's own log, as `python -m` would."""
        if module in self.loaded:
            return
        self.loaded.add(module)
        if module in self.preload:
            self.preload.remove(module)
        if not MODULE_NAME.fullmatch(module):
            with contextlib.suppress(ImportError):  # an optional extra not installed
                importlib.import_module(module)
            return
        try:
            package = importlib.import_module(module)
            importlib.import_module(f"{module}.__main__")
            for found in pkgutil.walk_packages(package.__path__, f"{module}."):
                if not found.name.endswith("__main__"):
                    importlib.import_module(found.name)
        except Exception:
            log.exception("preloading %s failed", module)

    def serve_request(self) -> bool:
        """One request; False once the launcher is gone."""
        try:
            data, fds, flags, _ = socket.recv_fds(self.control, MAX_MESSAGE_BYTES, FDS_PER_REQUEST)
        except OSError:
            return False
        if not data and not fds:
            return False  # end of stream: the launcher closed its end or exited
        truncated = flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC)
        request_id = None if truncated else request_id_of(data)
        try:
            if truncated or len(fds) != FDS_PER_REQUEST:
                raise BadRequest(
                    f"a request is one message of at most {MAX_MESSAGE_BYTES} bytes with "
                    f"{FDS_PER_REQUEST} file descriptors"
                )
            request = parse_request(data)
            for module in SHARED_STACK:  # before any fork: else every child imports them
                self.load(module)
            self.load(request.module)
            pid = self.fork(request, log_fd=fds[0], ready_fd=fds[1])
        except (BadRequest, OSError) as error:
            self.reply({"op": "failed", "id": request_id, "error": str(error)[:500]})
            return True
        finally:
            for fd in fds:
                os.close(fd)
        pidfd = self.children[pid]
        self.reply({"op": "forked", "id": request.id, "pid": pid}, [pidfd])
        return True

    def fork(self, request: ForkRequest, *, log_fd: int, ready_fd: int) -> int:
        if threading.active_count() != 1:
            raise BadRequest("the preloaded parent runs a thread: forking it is unsafe")
        gc.collect()
        gc.freeze()  # the preloaded objects stay out of children's collections: fewer copies
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            self.become_app(request, log_fd, ready_fd)  # never returns
        pidfd = os.pidfd_open(pid)
        self.children[pid] = pidfd
        self.selector.register(pidfd, selectors.EVENT_READ, pid)
        return pid

    def reap(self, pid: int) -> None:
        pidfd = self.children.pop(pid)
        self.selector.unregister(pidfd)
        os.close(pidfd)
        _, status = os.waitpid(pid, 0)
        self.reply({"op": "exited", "pid": pid, "returncode": os.waitstatus_to_exitcode(status)})

    def reply(self, message: dict[str, Any], fds: list[int] | None = None) -> None:
        # The launcher gone: its end of the socket reads as closed next.
        with contextlib.suppress(OSError):
            socket.send_fds(self.control, [json.dumps(message).encode()], fds or [])

    def become_app(self, request: ForkRequest, log_fd: int, ready_fd: int) -> None:
        """In the child: cut every tie with this parent's loop, then run the app as
        `python -m <module>` would (same environment, stdout/stderr to its log); exit with its
        status without returning here."""
        code = 1
        try:
            die_with_parent(self.pid)
            name_process(request.name)
            for pidfd in self.children.values():
                os.close(pidfd)
            self.selector.close()
            self.control.close()
            os.dup2(log_fd, 1)
            os.dup2(log_fd, 2)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.close(null)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.environ.clear()
            os.environ.update(request.env)
            os.environ[READY_FD_ENV] = str(ready_fd)
            sys.stdout.reconfigure(line_buffering=True, write_through=True)  # type: ignore[union-attr]
            main_module = importlib.import_module(f"{request.module}.__main__")
            sys.argv = [main_module.__file__ or request.module]
            main_module.main()
            code = 0
        except SystemExit as exit:
            code = exit_code(exit)
        except BaseException:
            traceback.print_exc()
        finally:
            # As an interpreter's exit does (logging's flush, ...), but not back into the
            # parent's loop (nor its objects' finalizers): os._exit.
            with contextlib.suppress(Exception):
                atexit._run_exitfuncs()
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            os._exit(code)


def die_with_parent(parent: int) -> None:
    """SIGKILL when the parent exits (Linux); already gone, exit now."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
    if os.getppid() != parent:
        os._exit(1)


def name_process(name: str) -> None:
    """What `ps -o comm`, top and pgrep show (Linux keeps 15 bytes); its arguments remain the
    parent's command line."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0)


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # first: Ctrl-C during the imports too
    # Its log as JSON lines like every app's, warnings of the preloaded imports included; a
    # forked app configures its own (services/common/serve.py).
    configure_json_logging("INFO", "zygote", "zygote")
    if not argv:
        print("usage: python -m mesh.zygote <control fd> [services.<name>...]", file=sys.stderr)
        return 2
    control = socket.socket(fileno=int(argv[0]))
    Zygote(control, argv[1:]).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
