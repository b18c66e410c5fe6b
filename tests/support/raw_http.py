"""Requests no HTTP client library would send (a header name with `_`, an unknown method, a
malformed request line, headers past a limit), byte for byte, over HTTP/1.1 and HTTP/2.

- `http1(address, request)`: raw bytes on a fresh connection; the parsed answer.
- `http2(address, headers)`: one h2c stream on a fresh connection, headers as given (no
  validation or normalisation by the h2 library); the answer, or how the stream ended.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import h2.config
import h2.connection
import h2.events

TIMEOUT_SECONDS = 5.0
MAX_REPLY_BYTES = 1 << 20

Address = tuple[str, int]


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def request_bytes(
    method: str, path: str, headers: Sequence[tuple[str, str]], body: bytes = b""
) -> bytes:
    """An HTTP/1.1 request exactly as given (plus Content-Length when there is a body)."""
    lines = [f"{method} {path} HTTP/1.1", *(f"{name}: {value}" for name, value in headers)]
    if body:
        lines.append(f"content-length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def http1(address: Address, request: bytes) -> Reply:
    """Send `request` on a new connection and read one response (to its Content-Length, or to
    the close that follows Envoy's refusals)."""
    with socket.create_connection(address, timeout=TIMEOUT_SECONDS) as connection:
        connection.sendall(request)
        data = b""
        while True:
            reply = _parse(data)
            if reply is not None:
                return reply
            chunk = connection.recv(65536)
            if not chunk:
                break
            data += chunk
            if len(data) > MAX_REPLY_BYTES:
                raise AssertionError(f"a reply longer than {MAX_REPLY_BYTES} bytes")
    reply = _parse(data, closed=True)
    if reply is None:
        raise AssertionError(f"no complete HTTP response before the close: {data[:200]!r}")
    return reply


def _parse(data: bytes, closed: bool = False) -> Reply | None:
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        return None
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = headers.get("content-length")
    if length is not None:
        if len(body) < int(length):
            return None
        body = body[: int(length)]
    elif not closed:
        return None
    return Reply(int(status_line.split(" ", 2)[1]), headers, body)


@dataclass
class H2Reply:
    headers: dict[str, str] = field(default_factory=dict)  # empty when the stream was reset
    body: bytes = b""
    trailers: dict[str, str] = field(default_factory=dict)
    reset_code: int | None = None  # RST_STREAM's error code
    connection_closed: bool = False  # GOAWAY or the socket closed before the stream ended

    @property
    def status(self) -> int | None:
        return int(self.headers[":status"]) if ":status" in self.headers else None

    def json(self) -> Any:
        return json.loads(self.body)


def http2(address: Address, headers: Sequence[tuple[str, str]], body: bytes = b"") -> H2Reply:
    """One stream with exactly these headers (pseudo-headers first: `:method`, `:scheme`,
    `:authority`, `:path`) on a new h2c connection (prior knowledge)."""
    config = h2.config.H2Configuration(
        client_side=True,
        header_encoding="utf-8",
        validate_outbound_headers=False,
        normalize_outbound_headers=False,
        validate_inbound_headers=False,
    )
    conn = h2.connection.H2Connection(config)
    reply = H2Reply()
    with socket.create_connection(address, timeout=TIMEOUT_SECONDS) as connection:
        conn.initiate_connection()
        stream = conn.get_next_available_stream_id()
        conn.send_headers(stream, list(headers), end_stream=not body)
        if body:
            conn.send_data(stream, body, end_stream=True)
        connection.sendall(conn.data_to_send())
        while True:
            data = connection.recv(65536)
            if not data:
                reply.connection_closed = True
                return reply
            for event in conn.receive_data(data):
                if _record(event, reply, conn):
                    return reply
            connection.sendall(conn.data_to_send())


def _record(event: h2.events.Event, reply: H2Reply, conn: h2.connection.H2Connection) -> bool:
    """Note `event` in `reply`; True once the stream is over."""
    if isinstance(event, h2.events.ResponseReceived):
        reply.headers = dict(event.headers)
    elif isinstance(event, h2.events.DataReceived):
        reply.body += event.data
        conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
    elif isinstance(event, h2.events.TrailersReceived):
        reply.trailers = dict(event.headers)
    elif isinstance(event, h2.events.StreamReset):
        reply.reset_code = int(event.error_code)
        return True
    elif isinstance(event, h2.events.ConnectionTerminated):
        reply.connection_closed = True
        return True
    return isinstance(event, h2.events.StreamEnded)
