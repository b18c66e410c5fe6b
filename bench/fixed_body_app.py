"""Bench only: the smallest app an Envoy hop can stand in front of. Every GET gets the same
200 and the same JSON body (BODY: ten NFT-shaped objects, about the size of nft's answer to
`GET /api/nfts/user/{id}`), with no database and no framework, so what a hop adds is not
hidden under the app's own time. Served by uvicorn as the services are (services/common/serve.py's
uvicorn_config: the same HTTP implementation and event loop). `python -m bench.fixed_body_app
PORT` serves on loopback; `running_fixed_body_app(...)` starts that as a process and stops it."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import uvicorn

from mesh.ports import free_port
from mesh.processes import ManagedProcess, http_status, spawn
from mesh.topology import HOST
from services.common.serve import uvicorn_config
from services.common.settings import ServiceSettings
from services.common.unix_sockets import bind_private_socket

START_TIMEOUT_SECONDS = 30.0  # imports on a busy 2-core machine

BODY = (
    json.dumps(
        [
            {
                "id": str(UUID(int=n)),
                "ownerId": str(UUID(int=1000)),
                "name": f"Bench #{n}",
                "metadata": {
                    "image": f"https://img.example/bench/{n}.png",
                    "attributes": [{"traitType": "rank", "value": str(n)}],
                },
                "createdAt": "2026-01-01T00:00:00Z",
            }
            for n in range(10)
        ]
    )
    + "\n"
).encode()
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


SPIN_SECONDS = float(os.environ.get("FIXED_BODY_SPIN_US", "0")) / 1e6
GAP_SECONDS = float(os.environ.get("FIXED_BODY_GAP_US", "0")) / 1e6


def _spin(seconds: float) -> None:
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        pass


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A bare ASGI app: BODY for every request, whatever its path or method. FIXED_BODY_SPIN_US
    µs of CPU (a busy loop) first, when set: an app as slow as a real one, with none of its
    code; FIXED_BODY_GAP_US of them between the headers and the body, as a middleware stack
    spends them (uvicorn writes the headers at once: two writes then reach the sidecar)."""
    if scope["type"] != "http":
        return
    _spin(SPIN_SECONDS)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    _spin(GAP_SECONDS)
    await send({"type": "http.response.body", "body": BODY})


def serve(port: int, uds: Path | None = None) -> None:
    """On HOST:`port`, and also on the Unix socket `uds` (as a service under `make run` listens
    for its sidecar) when given."""
    # CAPSURE_HTTP_IMPLEMENTATION and CAPSURE_EVENT_LOOP apply here as to every service.
    settings = ServiceSettings(host=HOST, port=port, log_level="WARNING")
    server = uvicorn.Server(uvicorn_config(app, settings))
    if uds is None:
        server.run()
        return
    tcp = socket.create_server((HOST, port))
    server.run(sockets=[tcp, bind_private_socket(uds)])


@contextmanager
def running_fixed_body_app(
    log_dir: Path, uds: Path | None = None, spin_us: int = 0, gap_us: int = 0
) -> Iterator[tuple[str, ManagedProcess]]:
    """This app in its own process on a free port (and on the socket `uds` when given; after
    `spin_us` µs of CPU per request, then `gap_us` more between headers and body): its base
    URL and process, once it answers; stopped on the way out."""
    port = free_port()
    command = [sys.executable, "-m", "bench.fixed_body_app", str(port)]
    command += [str(uds)] if uds is not None else []
    name = f"fixed-body-app-{port}"
    slow = {"FIXED_BODY_SPIN_US": str(spin_us), "FIXED_BODY_GAP_US": str(gap_us)}
    process = spawn(name, command, slow, log_dir)
    url = f"http://{HOST}:{port}"
    try:
        process.wait_until(
            lambda: http_status(f"{url}/") == 200, "answering", START_TIMEOUT_SECONDS
        )
        yield url, process
    finally:
        process.stop()


if __name__ == "__main__":
    serve(int(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
