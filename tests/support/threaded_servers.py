"""Small stdlib servers (socketserver, http.server handlers) run on a thread for a test: on a
loopback TCP port the kernel picks, or on a private Unix socket. The block always ends with
the server shut down, its socket closed and its thread joined.

And two handlers tests keep needing: one answering a fixed status, and an echo that records
each request (method, path, headers) and answers them back as JSON."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, TypeVar

from mesh.envoy.policies import HEALTH_PATH
from mesh.topology import HOST
from services.common.unix_sockets import bind_private_socket
from tests.support.scripted_peer import RequestHead

JOIN_SECONDS = 5.0

Server = TypeVar("Server", bound=socketserver.BaseServer)


class TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True  # a client left hanging does not hold the test's end
    allow_reuse_address = True


class UnixServer(socketserver.ThreadingUnixStreamServer):
    """Listening on a private socket (0600 in a 0700 directory), as the mesh's apps do."""

    daemon_threads = True

    def __init__(self, path: Path, handler: type[socketserver.BaseRequestHandler]) -> None:
        super().__init__(str(path), handler, bind_and_activate=False)
        self.socket.close()
        self.socket = bind_private_socket(path)

    def get_request(self) -> tuple[socket.socket, Any]:
        request, _ = self.socket.accept()
        # An unnamed Unix peer's address is '': http.server logs client_address[0].
        return request, ("unix", 0)

    def server_close(self) -> None:
        super().server_close()
        Path(self.server_address).unlink(missing_ok=True)


@contextmanager
def running(server: Server) -> Iterator[Server]:
    """`server` (bound and listening) serving on a thread until the block ends."""
    thread = threading.Thread(target=server.serve_forever, name=type(server).__name__, daemon=True)
    try:
        thread.start()
        yield server
    finally:
        if thread.is_alive():  # shutdown() waits for serve_forever, forever if it never ran
            server.shutdown()
        server.server_close()
        thread.join(JOIN_SECONDS)


@contextmanager
def serving(
    handler: type[socketserver.BaseRequestHandler], unix_path: Path | None = None
) -> Iterator[socketserver.BaseServer]:
    """`handler` served on a free loopback port (`port_of` the server), or on a private Unix
    socket at `unix_path`, until the block ends."""
    server = UnixServer(unix_path, handler) if unix_path else TcpServer((HOST, 0), handler)
    with running(server):
        yield server


def port_of(server: socketserver.BaseServer) -> int:
    return server.server_address[1]  # type: ignore[index]


class QuietHandler(BaseHTTPRequestHandler):
    """No access log on stderr: pytest shows what a failing test needs."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def answer(
        self, status: int, body: bytes = b"", content_type: str = "application/json"
    ) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def answering(status: int) -> type[BaseHTTPRequestHandler]:
    """Answers every GET with `status` and no body."""

    class Fixed(QuietHandler):
        def do_GET(self) -> None:
            self.answer(status)

    return Fixed


@dataclass
class Echo:
    """An upstream answering 200 to every GET and POST with what it received (`method`,
    `path` (the request target), `headers` as JSON) and recording it in `seen` (health checks
    excepted)."""

    seen: list[RequestHead] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def requests(self) -> list[RequestHead]:
        with self.lock:
            return list(self.seen)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        echo = self

        class Echoing(QuietHandler):
            def do_GET(self) -> None:
                self._echo()

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                self._echo()

            def _echo(self) -> None:
                headers = {name.lower(): value for name, value in self.headers.items()}
                if self.path != HEALTH_PATH:
                    with echo.lock:
                        echo.seen.append(RequestHead(self.command, self.path, headers))
                body = {"method": self.command, "path": self.path, "headers": headers}
                self.answer(200, json.dumps(body).encode())

        return Echoing
