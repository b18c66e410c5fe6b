"""Database writes that a cancelled caller cannot cut in half.

gRPC handlers are cancelled when their stream is reset (a client deadline, a dropped
connection), and background tasks when a service stops. Tortoise's SQLite client opens its own
transaction for a bulk insert and rolls it back only on `Exception`: a `CancelledError` between
BEGIN and COMMIT leaves the shared connection inside that transaction, so every later write on
it fails ("cannot start a transaction within a transaction") and nothing after it is committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


async def finished_even_if_cancelled(write: Coroutine[Any, Any, T]) -> T:
    """Run `write` to its end (commit or rollback); a cancellation of the caller is delivered
    once the write is over, so the caller still stops."""
    task = asyncio.ensure_future(write)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        if task.cancelled():  # the write itself was cancelled (the loop is closing)
            raise
        # The caller was cancelled; the write goes on. Wait for it, however many more times
        # the caller is cancelled meanwhile, then stop as asked.
        while not task.done():
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                continue
            except Exception:
                break  # its own failure is moot: the caller is cancelled
        raise
