"""A loopback-only HTTP control endpoint of the running launcher: status, add, remove.

`python -m mesh.ctl` talks to it; where it listens, and the operator's token every request
must carry, are written to <workdir>/run/control.json (0600: the operator's alone)."""

from __future__ import annotations

import hmac
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from mesh.files import atomic_write, private_directory
from mesh.processes import ProcessFailed
from mesh.runner import Mesh, RunningInstance
from mesh.supervisor import Supervisor
from mesh.topology import HOST
from services.common.quoting import quoted

CONNECTION_TIMEOUT_SECONDS = 10.0
# An instance that failed to start says why with its log's tail: enough of it to act on.
MAX_ERROR_CHARACTERS = 4000


def mesh_status(mesh: Mesh, supervisor: Supervisor | None = None) -> dict[str, Any]:
    """Every instance; with a supervisor, also its restarts (total, and per process: state,
    restarts, the last one's reason, whether it is crash-looping)."""
    return {
        "edge": mesh.edge_url,
        "registry": mesh.registry_url if mesh.registry else None,
        "supervised": supervisor is not None,
        "services": {
            name: [_instance_status(r, supervisor) for r in running]
            for name, running in sorted(mesh.instances.items())
        },
    }


def _instance_status(running: RunningInstance, supervisor: Supervisor | None) -> dict[str, Any]:
    status = {
        "id": running.id,
        "app_pid": running.app.pid,
        "sidecar_pid": running.sidecar.pid,
        "healthy": running.app.health_status() == 200,
        "inbound": running.instance.inbound_address,
        "app": running.app.location,
        "sidecar_admin": running.sidecar.admin_url,
        # Prometheus scrapes /metrics (the app's) and /stats/prometheus (the sidecar's) here.
        "metrics": f"http://{running.instance.inbound_address.rsplit(':', 1)[0]}:"
        f"{running.instance.ports.metrics}",
    }
    if supervisor is not None:
        processes = supervisor.status(running.id)
        status["restarts"] = sum(p["restarts"] for p in processes.values())
        status["processes"] = processes
    return status


def _bounded(message: str, limit: int = MAX_ERROR_CHARACTERS) -> str:
    """A long message's start (what failed) and end (a log tail's last lines), not all of it."""
    if len(message) <= limit:
        return message
    half = limit // 2
    return (
        f"{message[:half]}\n… ({len(message) - 2 * half} characters left out) …\n{message[-half:]}"
    )


def _handler(
    mesh: Mesh, supervisor: Supervisor | None, token: str, connection_timeout: float
) -> type[BaseHTTPRequestHandler]:
    expected = f"Bearer {token}".encode()

    class Handler(BaseHTTPRequestHandler):
        # A connection that sends nothing (or too slowly) is closed after this, rather than
        # holding a server thread for as long as the sender likes.
        timeout = connection_timeout

        def do_GET(self) -> None:
            if self._authorized():
                self._answer(HTTPStatus.OK, mesh_status(mesh, supervisor))

        def do_POST(self) -> None:  # POST /services/<name>/instances: add one
            if not self._authorized():
                return
            parts = self.path.strip("/").split("/")
            if len(parts) != 3 or parts[0] != "services" or parts[2] != "instances":
                self._answer(HTTPStatus.NOT_FOUND, {"error": "POST /services/<name>/instances"})
            elif parts[1] not in mesh.topology.services:
                self._answer(HTTPStatus.NOT_FOUND, {"error": f"unknown service {quoted(parts[1])}"})
            else:
                try:
                    running = mesh.add_instance(parts[1])
                except ProcessFailed as error:  # it was stopped again; the mesh runs on
                    message = f"could not add an instance of {parts[1]}: {error}"
                    self._answer(HTTPStatus.SERVICE_UNAVAILABLE, {"error": _bounded(message)})
                    return
                self._answer(HTTPStatus.CREATED, {"id": running.id})

        def do_DELETE(self) -> None:  # DELETE /instances/<id>: stop one gracefully
            if not self._authorized():
                return
            parts = self.path.strip("/").split("/")
            if len(parts) != 2 or parts[0] != "instances":
                self._answer(HTTPStatus.NOT_FOUND, {"error": "DELETE /instances/<id>"})
                return
            try:
                mesh.remove_instance(parts[1])
            except KeyError:
                self._answer(HTTPStatus.NOT_FOUND, {"error": f"no instance {quoted(parts[1])}"})
                return
            self._answer(HTTPStatus.OK, {"removed": parts[1]})

        def _authorized(self) -> bool:
            """Only the operator: whoever can read control.json (0600) holds the token."""
            sent = (self.headers.get("Authorization") or "").encode()
            if hmac.compare_digest(sent, expected):
                return True
            self._answer(HTTPStatus.UNAUTHORIZED, {"error": "the operator's token is needed"})
            return False

        def _answer(self, status: HTTPStatus, body: dict[str, Any]) -> None:
            data = json.dumps(body, indent=2).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the launcher prints what matters

    return Handler


@contextmanager
def control_endpoint(
    mesh: Mesh,
    state_file: Path,
    supervisor: Supervisor | None = None,
    *,
    timeout: float = CONNECTION_TIMEOUT_SECONDS,
) -> Iterator[str]:
    """The endpoint, served from a thread for the block; `timeout`: how long a connection may
    keep the server waiting for its request."""
    # The operator's credential for this endpoint, new on every start.
    token = secrets.token_urlsafe(32)
    server = ThreadingHTTPServer((HOST, 0), _handler(mesh, supervisor, token, timeout))
    url = f"http://{HOST}:{server.server_address[1]}"
    private_directory(state_file.parent)
    atomic_write(state_file, json.dumps({"url": url, "token": token}).encode(), mode=0o600)
    thread = threading.Thread(target=server.serve_forever, name="control", daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
        state_file.unlink(missing_ok=True)
