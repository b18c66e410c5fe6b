"""Bench only: the smallest app an Envoy hop can stand in front of. Every GET gets the same
200 and the same JSON body (BODY: ten NFT-shaped objects, about the size of nft's answer to
`GET /api/nfts/user/{id}`), with no database and no framework, so what a hop adds is not
hidden under the app's own time. Served by uvicorn as the services are (services/common/serve.py's
uvicorn_config: the same HTTP implementation and event loop). `python -m bench.fixed_body_app
PORT` serves on loopback; `running_fixed_body_app(...)` starts that as a process and stops it."""

from __future__ import annotations

import json
import sys
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


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A bare ASGI app: BODY for every request, whatever its path or method."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


def serve(port: int) -> None:
    # CAPSURE_HTTP_IMPLEMENTATION and CAPSURE_EVENT_LOOP apply here as to every service.
    settings = ServiceSettings(host=HOST, port=port, log_level="WARNING")
    uvicorn.Server(uvicorn_config(app, settings)).run()


@contextmanager
def running_fixed_body_app(log_dir: Path) -> Iterator[tuple[str, ManagedProcess]]:
    """This app in its own process on a free port: its base URL and process, once it answers;
    stopped on the way out."""
    port = free_port()
    command = [sys.executable, "-m", "bench.fixed_body_app", str(port)]
    process = spawn("fixed-body-app", command, {}, log_dir)
    url = f"http://{HOST}:{port}"
    try:
        process.wait_until(
            lambda: http_status(f"{url}/") == 200, "answering", START_TIMEOUT_SECONDS
        )
        yield url, process
    finally:
        process.stop()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
