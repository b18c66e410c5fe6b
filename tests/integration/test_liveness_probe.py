"""The supervisor's liveness probe on real sockets: any answer is life (a 503 only means not
ready), silence and a refused connection are not, and silence costs at most the timeout."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mesh.supervisor import answers
from mesh.topology import HOST

pytestmark = pytest.mark.integration

TIMEOUT = 0.3


@pytest.fixture
def not_ready() -> Iterator[str]:
    """A server answering every GET with 503, as an app whose database is down."""

    class Unready(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((HOST, 0), Unready)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}/healthz"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def silent() -> Iterator[str]:
    """A port whose connections the kernel accepts but nobody reads: a stopped process."""
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        listener.listen(8)
        yield f"http://{HOST}:{listener.getsockname()[1]}/healthz"


def test_a_503_is_an_answer(not_ready: str) -> None:
    assert answers(not_ready, TIMEOUT)


def test_silence_is_no_answer_within_the_timeout(silent: str) -> None:
    started = time.monotonic()
    assert not answers(silent, TIMEOUT)
    assert time.monotonic() - started < TIMEOUT + 0.5


def test_a_refused_connection_is_no_answer() -> None:
    with socket.socket() as closed:
        closed.bind((HOST, 0))
        port = closed.getsockname()[1]  # bound, never listening: connections are refused
        assert not answers(f"http://{HOST}:{port}/healthz", TIMEOUT)
