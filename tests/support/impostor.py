"""A process listening where a service's endpoints point, without that service's identity:
plaintext, with a foreign CA's certificate, or with another workload's (stolen) certificate.
It records every connection and every byte of a request that reaches it, so a test can show
that the mesh's Envoys (the edge's health checks and JWKS fetches, the sidecars') hand it
nothing — and, given the real identity, that it would have seen them."""

from __future__ import annotations

import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.threaded_servers import port_of, serving
from tests.support.workload_tls import load_certificate

READ_SECONDS = 2.0
# What a request's first bytes are: HTTP/1.1 (a method) or HTTP/2's preface.
REQUEST_STARTS = (b"GET ", b"POST ", b"PUT ", b"HEAD ", b"DELETE ", b"PRI * HTTP/2.0")


@dataclass
class Impostor:
    port: int
    connections: int = 0
    refused_handshakes: int = 0  # TLS ended by the caller (it did not accept us)
    requests: list[bytes] = field(default_factory=list)  # the first bytes of each one
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def seen(self) -> tuple[int, int, list[bytes]]:
        with self._lock:
            return self.connections, self.refused_handshakes, list(self.requests)

    def _count(self, *, refused: bool = False, request: bytes | None = None) -> None:
        with self._lock:
            if refused:
                self.refused_handshakes += 1
            elif request is not None:
                self.requests.append(request[:64])
            else:
                self.connections += 1


def server_context(certificate: tuple[bytes, bytes], trust_file: Path) -> ssl.SSLContext:
    """Serving `certificate` (chain, key PEMs); a client's certificate is asked for and checked
    against `trust_file` (the mesh CA), as a mesh sidecar would, so Envoys get that far."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_verify_locations(cafile=str(trust_file))
    context.verify_mode = ssl.CERT_OPTIONAL
    context.set_alpn_protocols(["h2", "http/1.1"])
    load_certificate(context, certificate)
    return context


@contextmanager
def impostor(context: ssl.SSLContext | None) -> Iterator[Impostor]:
    """Listening on a free loopback port with TLS `context` (None: plaintext) until the block
    ends."""
    listening = Impostor(port=0)  # the kernel's choice, once it listens

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            listening._count()
            connection: socket.socket = self.request
            connection.settimeout(READ_SECONDS)
            try:
                if context is not None:
                    connection = context.wrap_socket(connection, server_side=True)
                first = connection.recv(4096)
            except (ssl.SSLError, OSError):
                listening._count(refused=True)
                return
            if context is None and not first.startswith(REQUEST_STARTS):
                listening._count(refused=True)  # a TLS ClientHello, not a request
            elif first:
                listening._count(request=first)

    with serving(Handler) as server:
        listening.port = port_of(server)
        yield listening
