"""A coroutine running in the background for as long as a block (an app's lifespan) lasts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress


@asynccontextmanager
async def running_in_background(
    work: Callable[[], Awaitable[None]], name: str
) -> AsyncIterator[None]:
    """Starts `work()` as a task; on leaving, cancels it and waits until it has stopped, so
    nothing it does outlives the block (the database it uses closes right after)."""
    task = asyncio.create_task(work(), name=name)
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
