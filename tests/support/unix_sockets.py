"""Unix domain sockets for tests: a short private directory for them, an ASGI app served on
one (uvicorn, in the test's event loop), and connecting as another user from a forked child."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from services.common.unix_sockets import bind_private_socket

START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
POLL_SECONDS = 0.01
NOBODY = 65534  # uid and gid of nobody/nogroup on Debian

# What a child connecting as another user found, as its exit status.
CONNECTED, REFUSED_PERMISSION, OTHER_ERROR = 0, 13, 1


@contextmanager
def socket_dir() -> Iterator[Path]:
    """A new directory (mode 0700) for sockets, removed afterwards. Short, under /tmp: pytest's
    tmp_path for a long test name can outgrow a socket path's 107 bytes."""
    directory = Path(tempfile.mkdtemp(prefix="cm-sock-"))  # mkdtemp makes it 0700
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@asynccontextmanager
async def serving_on_socket(
    app: Any, path: Path, *, lifespan: str = "on", start_timeout: float = START_TIMEOUT_SECONDS
) -> AsyncIterator[Path]:
    """`app` served by uvicorn on a private socket at `path` until the block ends. Start-up
    longer than `start_timeout` is a TimeoutError; stopping is bounded too."""
    config = uvicorn.Config(app, lifespan=lifespan, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    sock = bind_private_socket(path)
    task = asyncio.create_task(server.serve(sockets=[sock]), name=f"uvicorn on {path}")
    try:
        deadline = time.monotonic() + start_timeout
        while not server.started:
            if task.done():
                task.result()  # its start-up error
                raise RuntimeError(f"uvicorn on {path} stopped before it started")
            if time.monotonic() > deadline:
                raise TimeoutError(f"uvicorn on {path} not started in {start_timeout}s")
            await asyncio.sleep(POLL_SECONDS)
        yield path
    finally:
        try:
            await _stopped(server, task)
        finally:
            sock.close()


async def _stopped(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    """`server` asked to exit and its task ended (its error raised), within STOP_TIMEOUT_SECONDS.
    uvicorn reads `should_exit` only once started: a start-up still waiting (a lifespan that
    never yields) is cancelled instead."""
    server.should_exit = True
    if not server.started:
        task.cancel()
    done, _ = await asyncio.wait({task}, timeout=STOP_TIMEOUT_SECONDS)
    if not done:
        task.cancel()
        await asyncio.wait({task}, timeout=STOP_TIMEOUT_SECONDS)
        raise TimeoutError(f"{task.get_name()} not stopped in {STOP_TIMEOUT_SECONDS}s")
    if not task.cancelled():
        task.result()


def connect_as(uid: int, gid: int, path: Path) -> int:
    """Whether a process of user `uid` (group `gid`) may connect to the socket at `path`: a
    forked child drops to that user and tries. CONNECTED, REFUSED_PERMISSION or OTHER_ERROR."""
    pid = os.fork()
    if pid == 0:  # the child: no Python cleanup, no pytest, only the attempt
        status = OTHER_ERROR
        try:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.settimeout(5)
                client.connect(str(path))
            status = CONNECTED
        except PermissionError:
            status = REFUSED_PERMISSION
        except BaseException:
            status = OTHER_ERROR
        finally:
            os._exit(status)
    _, wait_status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(wait_status)
