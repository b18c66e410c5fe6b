"""A JWKS fetched over HTTP: refetches reuse one client and its keep-alive connection."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from uuid import uuid4

import pytest

from services.common.auth import TokenVerifier
from services.common.jwks import RemoteJwks
from tests.support.tokens import ISSUER, jwks_document, token_for

pytestmark = pytest.mark.unit


class JwksServer(ThreadingHTTPServer):
    daemon_threads = True
    connections = 0
    requests = 0


class JwksHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server: JwksServer

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1

    def do_GET(self) -> None:
        self.server.requests += 1
        body = json.dumps(jwks_document()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    server = JwksServer(("127.0.0.1", 0), JwksHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Clock:
    now: float = 0.0

    def advance(self, seconds: float) -> None:
        self.now += seconds


def verifier_fetching_from(server: JwksServer) -> tuple[TokenVerifier, Clock]:
    """A verifier whose keys come from `server`, cached for 5 s of `clock` time."""
    clock = Clock()
    url = f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    keys = RemoteJwks(url, cache_seconds=5, monotonic=lambda: clock.now)
    return TokenVerifier(keys=keys, issuer=ISSUER), clock


async def test_refetches_reuse_one_connection(jwks_server: JwksServer) -> None:
    verifier, clock = verifier_fetching_from(jwks_server)
    for _ in range(3):
        claims = await verifier.verify(token_for(uuid4()))
        assert claims["iss"] == ISSUER
        clock.advance(10)  # past the cache: the next verification refetches
    assert jwks_server.requests == 3
    assert jwks_server.connections == 1


def test_a_verifier_used_in_another_loop_gets_a_client_of_its_own(
    jwks_server: JwksServer,
) -> None:
    verifier, clock = verifier_fetching_from(jwks_server)
    for _ in range(2):  # each asyncio.run is a new loop; the first one's pool is gone with it
        claims = asyncio.run(verifier.verify(token_for(uuid4())))
        assert claims["iss"] == ISSUER
        clock.advance(10)
    assert jwks_server.requests == 2
