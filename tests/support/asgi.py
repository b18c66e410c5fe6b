"""An HTTP client wired straight to an ASGI app, in the test's own event loop. The app's
lifespan runs around it (start-up work such as creating the first admin happens there) unless
`lifespan=False`: then the app serves without what its lifespan opens (database, servers)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from asgi_lifespan import LifespanManager


@asynccontextmanager
async def asgi_client(
    app: Any, *, lifespan: bool = True, headers: dict[str, str] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """`headers` go with every request (e.g. tests.support.callers.called_by: the caller the
    app's sidecar would report)."""
    if not lifespan:
        async with _client(app, headers) as client:
            yield client
        return
    async with LifespanManager(app) as manager, _client(manager.app, headers) as client:
        yield client


def _client(app: Any, headers: dict[str, str] | None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers
    )
