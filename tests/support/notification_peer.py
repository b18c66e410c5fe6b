"""A real notification app (in-memory stores, its answers validated against the contract) on a
Unix socket, fronted as its sidecar fronts it, for the publishers' delivery adapters to call:
`running_notification(caller)` yields its database, the paths called, and its address."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from services.common.workload_identity import XFCC_HEADER
from tests.support.callers import called_by
from tests.support.unix_sockets import serving_on_socket, socket_dir
from tests.unit.notification_fakes import FakeDatabase, notification_app


def as_forwarded_from(caller: str, app: Any) -> Any:
    """The app as notification's sidecar fronts it: every request arrives with the header
    naming `caller`'s verified certificate."""
    name = XFCC_HEADER.lower().encode()
    header = called_by(caller)[XFCC_HEADER].encode()

    async def fronted(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = [h for h in scope["headers"] if h[0] != name]
            scope = {**scope, "headers": [*headers, (name, header)]}
        await app(scope, receive, send)

    return fronted


class Calls:
    """Counts the HTTP calls that reach the app, by path."""

    def __init__(self, app: Any) -> None:
        self.app, self.paths = app, []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.paths.append(scope["path"])
        await self.app(scope, receive, send)


@asynccontextmanager
async def running_notification(caller: str) -> AsyncIterator[tuple[FakeDatabase, Calls, str]]:
    db = FakeDatabase()
    calls = Calls(as_forwarded_from(caller, notification_app(db)))
    with socket_dir() as sockets:
        async with serving_on_socket(calls, sockets / "notification.sock") as path:
            yield db, calls, f"unix:{path}"
