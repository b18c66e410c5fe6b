"""The supervisor's liveness probe on real sockets, loopback ports and Unix sockets alike: any
answer is life (a 503 only means not ready, a reply that is not HTTP still comes from someone),
silence and a refused connection are not, and silence costs at most the timeout."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mesh.supervisor import answered
from mesh.topology import HOST, LocalAddress

pytestmark = pytest.mark.integration

TIMEOUT = 0.3
NOT_READY = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
NOT_HTTP = b"SSH-2.0-OpenSSH_9.2\r\n"  # something alive, speaking something else


@pytest.fixture(params=["port", "socket"])
def listening(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[socket.socket]:
    """A listening socket: on a loopback port, or a Unix socket."""
    if request.param == "port":
        listener = socket.socket()
        listener.bind((HOST, 0))
    else:
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(str(tmp_path / "app.sock"))
    with listener:
        listener.listen(8)
        yield listener


def address_of(listener: socket.socket) -> LocalAddress:
    name = listener.getsockname()
    return Path(name) if isinstance(name, str) else name[1]


@contextmanager
def replying(listener: socket.socket, reply: bytes) -> Iterator[LocalAddress]:
    """Every connection gets `reply` once its request head is in, then is closed."""
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(2)
                received = b""
                while b"\r\n\r\n" not in received:
                    chunk = connection.recv(4096)
                    if not chunk:
                        break
                    received += chunk
                connection.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield address_of(listener)
    finally:
        stop.set()
        thread.join(5)


def test_a_503_is_an_answer(listening: socket.socket) -> None:
    with replying(listening, NOT_READY) as address:
        assert answered(address, "/livez", TIMEOUT)


def test_a_reply_that_is_not_http_is_an_answer_on_either_transport(
    listening: socket.socket,
) -> None:
    """Over a Unix socket it used to count as silence, over a port as an answer."""
    with replying(listening, NOT_HTTP) as address:
        assert answered(address, "/livez", TIMEOUT)


def test_silence_is_no_answer_within_the_timeout(listening: socket.socket) -> None:
    """Connections the kernel accepts but nobody reads: a stopped process."""
    started = time.monotonic()
    assert not answered(address_of(listening), "/livez", TIMEOUT)
    assert time.monotonic() - started < TIMEOUT + 0.5


def test_a_refused_connection_is_no_answer(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind((HOST, 0))  # bound, never listening: connections are refused
        assert not answered(closed.getsockname()[1], "/livez", TIMEOUT)
    assert not answered(tmp_path / "gone.sock", "/livez", TIMEOUT)  # no socket file at all
