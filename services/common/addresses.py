"""Where a service reaches its peers and where it listens, and the clients that go there.

A peer (`<DEP>_ADDR`, `REGISTRY_ADDR`) is `host:port` on TCP, or `unix:/abs/path` — a Unix
socket, such as a sidecar's egress that only this app may open. A REST peer may also be a
URL, `http(s)://host:port[/prefix]` or `http+unix://<percent-encoded socket path>[/prefix]`
(requests-unixsocket's form; `CAPSURE_JWKS_URL` uses it). A socket path is absolute, has no
NUL and fits `sun_path` (107 bytes and its NUL): checked when settings are read, not when
the first call fails."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import httpx

from services.common.quoting import quoted

if TYPE_CHECKING:
    from grpclib.client import Channel

UNIX_PREFIX = "unix:"
HTTP_UNIX_SCHEME = "http+unix"
# sockaddr_un.sun_path is 108 bytes on Linux, its NUL included; Envoy's pipe refuses longer.
MAX_SOCKET_PATH_BYTES = 107
# The Host header of a request over a socket: the socket, not the name, says where it goes.
SOCKET_HOST = "localhost"
HTTP_SCHEMES = frozenset({"http", "https"})
# A host name or IPv4 address, or an IPv6 address in brackets; then the port.
HOST_PORT = re.compile(
    r"(?:(?P<name>[A-Za-z0-9._-]+)|\[(?P<ipv6>[0-9A-Fa-f:.]+)\]):(?P<port>\d{1,5})"
)
# Settings come from the operator, not from clients: quote enough of one to recognise it.
QUOTE_LIMIT = 128


class TcpAddress(NamedTuple):
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class UnixAddress:
    path: Path

    def __str__(self) -> str:
        return f"{UNIX_PREFIX}{self.path}"


Address = TcpAddress | UnixAddress


def socket_path(value: str | os.PathLike[str]) -> Path:
    """A path a Unix socket can be bound or reached at: absolute, no NUL, ≤ 107 bytes."""
    text = os.fspath(value)
    if "\x00" in text:
        raise ValueError(f"socket path {_shown(text)} contains a NUL character")
    if not text.startswith("/"):
        raise ValueError(f"socket path {_shown(text)} is not absolute")
    size = len(os.fsencode(text))
    if size > MAX_SOCKET_PATH_BYTES:
        raise ValueError(
            f"socket path {_shown(text)} is {size} bytes long; a Unix socket's path may have "
            f"at most {MAX_SOCKET_PATH_BYTES}"
        )
    return Path(text)


def split_address(address: str) -> TcpAddress:
    """host:port -> (host, port); an IPv6 host is written in brackets: [::1]:50051."""
    match = HOST_PORT.fullmatch(address.strip())
    if match is None or not 0 < int(match["port"]) <= 65535:
        raise ValueError(f"{_shown(address)} is not host:port (e.g. 127.0.0.1:50051)")
    return TcpAddress(match["name"] or match["ipv6"], int(match["port"]))


def parse_address(address: str) -> Address:
    """`host:port` or `unix:/abs/path`."""
    if address.startswith(UNIX_PREFIX):
        return UnixAddress(socket_path(address.removeprefix(UNIX_PREFIX)))
    try:
        return split_address(address)
    except ValueError:
        raise ValueError(
            f"{_shown(address)} is neither host:port (e.g. 127.0.0.1:50051) nor unix:/absolute/path"
        ) from None


@dataclass(frozen=True)
class HttpTarget:
    """Where HTTP requests go: `url` (a base URL, or a document's), over the Unix socket
    `socket` when there is one (the URL's host is then only the Host header)."""

    url: str
    socket: Path | None = None

    def transport(self) -> httpx.AsyncBaseTransport | None:
        """aiohttp's pool under httpx's API for plain http (services.common.http_transport),
        through the socket when there is one; None for https: httpx's own, verifying TLS."""
        if self.url.startswith("https://"):
            return None
        # Imported here: aiohttp costs ~0.25 s of start-up to the launcher, which imports this
        # module for socket_path and never makes a client.
        from services.common.http_transport import pooled_transport

        return pooled_transport(self.socket)

    def httpx_args(self) -> dict[str, Any]:
        """Keyword arguments for httpx.AsyncClient (a generated client's `httpx_args`)."""
        transport = self.transport()
        return {} if transport is None else {"transport": transport}


def http_target(address: str) -> HttpTarget:
    """A REST peer: host:port, unix:/abs/path, or an http(s):// or http+unix:// URL."""
    if address.startswith(UNIX_PREFIX):
        return HttpTarget(f"http://{SOCKET_HOST}", socket_path(address.removeprefix(UNIX_PREFIX)))
    if "://" in address:
        return http_url_target(address)
    try:
        return HttpTarget(f"http://{split_address(address)}")
    except ValueError:
        raise ValueError(
            f"{_shown(address)} is neither host:port (e.g. 127.0.0.1:8002), "
            "unix:/absolute/path nor an http://, https:// or http+unix:// URL"
        ) from None


def http_url_target(url: str) -> HttpTarget:
    """An http(s):// URL as it is, or http+unix://<percent-encoded socket path>/path as
    http://localhost/path over that socket."""
    parts = urlsplit(url)
    if parts.scheme == HTTP_UNIX_SCHEME:
        path = socket_path(unquote(parts.netloc))
        return HttpTarget(urlunsplit(("http", SOCKET_HOST, parts.path, parts.query, "")), path)
    if parts.scheme not in HTTP_SCHEMES or not parts.hostname:
        raise ValueError(
            f"{_shown(url)} is not an http://, https:// or http+unix:// URL with a host "
            "(a socket path is percent-encoded: http+unix://%2Frun%2Fapp.sock/path)"
        )
    return HttpTarget(url)


def http_unix_url(socket: Path, path: str = "") -> str:
    """The http+unix:// URL of `path` over the socket at `socket`."""
    return f"{HTTP_UNIX_SCHEME}://{quote(str(socket_path(socket)), safe='')}{path}"


def grpc_channel(address: Address, codec: Any = None) -> Channel:
    """A grpclib Channel to `address` (it connects lazily, on the first call); `codec` bounds
    what goes over it (services/common/grpc_messages.py)."""
    # Imported here: only trading calls gRPC, the other services need not load grpclib.
    from grpclib.client import Channel

    if isinstance(address, UnixAddress):
        return Channel(path=str(address.path), codec=codec)
    return Channel(address.host, address.port, codec=codec)


def _shown(setting: str) -> str:
    return quoted(setting, QUOTE_LIMIT)
