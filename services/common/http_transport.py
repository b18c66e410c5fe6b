"""httpx's API over aiohttp's connection pool: the transport of the services' plain-http calls
(to their sidecar, over TCP or its Unix socket).

httpcore, httpx's own pool, walks every pooled connection on every request and asks each
whether its socket is readable (anyio builds a dict of socket attributes for each question):
at 16 concurrent calls a call cost the caller ~1 ms of CPU on these machines, against ~0.3 ms
through aiohttp's pool and its C HTTP parser. The generated clients keep httpx's requests,
responses and exceptions: httpx-aiohttp maps aiohttp's failures to httpx's, and what it leaves
unmapped is mapped here, so every failure to reach or hear from a peer is an
`httpx.TransportError` (timeouts an `httpx.TimeoutException`), as the callers expect.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from services.common.tracing import inject_trace_context


class PooledTransport(AiohttpTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        # The caller's trace goes on through its sidecar to the peer (when tracing is on).
        inject_trace_context(request.headers)
        try:
            response = await super().handle_async_request(request)
        except (httpx.TimeoutException, TimeoutError, aiohttp.ClientError) as error:
            raise _remapped(error, request) from error.__cause__ or error
        response.stream = _RemappedStream(response.stream, request)
        return response


class _RemappedStream(httpx.AsyncByteStream):
    """The answer's body, its read failures mapped as the request's are."""

    def __init__(self, inner: httpx.AsyncByteStream | httpx.SyncByteStream, request: httpx.Request):
        self._inner = inner
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:  # type: ignore[union-attr]
                yield chunk
        except (httpx.TimeoutException, TimeoutError, aiohttp.ClientError) as error:
            raise _remapped(error, self._request) from error.__cause__ or error

    async def aclose(self) -> None:
        await self._inner.aclose()  # type: ignore[union-attr]


def _remapped(error: Exception, request: httpx.Request) -> Exception:
    """httpx's exception for an aiohttp failure. httpx-aiohttp calls every aiohttp connection
    error a connect timeout (a refused connection, a peer hanging up): only a timeout is one."""
    cause = error.__cause__ if isinstance(error, httpx.TimeoutException) else error
    if cause is None or isinstance(cause, TimeoutError):
        return (
            error
            if isinstance(error, httpx.TimeoutException)
            else httpx.ReadTimeout(str(cause or error) or "timed out", request=request)
        )
    if isinstance(cause, aiohttp.ClientConnectorError):  # refused, unreachable, no socket
        return httpx.ConnectError(str(cause), request=request)
    if isinstance(cause, aiohttp.ClientConnectionError):  # the peer hung up
        return httpx.ReadError(str(cause) or type(cause).__name__, request=request)
    if isinstance(cause, httpx.HTTPError):
        return cause
    return httpx.RemoteProtocolError(str(cause) or type(cause).__name__, request=request)


def pooled_transport(socket: Path | None = None) -> httpx.AsyncBaseTransport:
    """For plain http:// only. verify=False: no TLS is spoken on these connections, and no CA
    bundle is loaded (~80 ms of CPU per client at start-up)."""
    return PooledTransport(verify=False, uds=None if socket is None else str(socket))
