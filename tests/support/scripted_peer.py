"""A one-answer HTTP/1.1 server on a real socket (loopback TCP or a private Unix socket): what a
peer (or an Envoy in front of it) says, byte for byte, for testing the clients that call it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from services.common.unix_sockets import bind_private_socket

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def tcp_server(handler: Handler) -> AsyncIterator[str]:
    """`host:port` of a server running `handler` per connection, for the block's duration."""
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


@asynccontextmanager
async def unix_server(handler: Handler, path: Path) -> AsyncIterator[str]:
    """`unix:<path>` of a server running `handler` per connection on a private socket at
    `path` (as an app's peer listens under the mesh), for the block's duration."""
    server = await asyncio.start_unix_server(handler, sock=bind_private_socket(path))
    try:
        yield f"unix:{path}"
    finally:
        server.close()
        await server.wait_closed()


def http_answer(
    status: str,
    body: bytes,
    requests: list[bytes] | None = None,
    content_type: str = "application/json",
) -> Handler:
    """Answer every request with `status` (e.g. "503 Service Unavailable") and `body`; the
    requests (head and body) go to `requests` when given."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        # Read the request's body too: a socket closed on unread bytes resets the connection.
        sent = await reader.readexactly(int(parse_head(head).headers.get("content-length", 0)))
        if requests is not None:
            requests.append(head + sent)
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    return answer


@dataclass(frozen=True)
class RequestHead:
    method: str
    target: str
    headers: dict[str, str]  # names lower-cased

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]


def parse_head(head: bytes) -> RequestHead:
    """A request head as `http_answer` records it: the request line and the header fields."""
    request_line, *fields = head.decode("latin-1").rstrip("\r\n").split("\r\n")
    method, target, _ = request_line.split(" ", 2)
    headers = {}
    for line in fields:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return RequestHead(method, target, headers)
