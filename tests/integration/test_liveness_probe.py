"""The supervisor's liveness probe on real sockets: any answer is life (a 503 only means not
ready), silence and a refused connection are not, and silence costs at most the timeout."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from mesh.supervisor import answers
from mesh.topology import HOST
from tests.support.threaded_servers import answering, port_of, serving

pytestmark = pytest.mark.integration

TIMEOUT = 0.3


@pytest.fixture
def not_ready() -> Iterator[str]:
    """A server answering every GET with 503, as an app whose database is down."""
    with serving(answering(503)) as server:
        yield f"http://{HOST}:{port_of(server)}/healthz"


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
