"""Writes the checked batches of one StreamTickBatches stream while the next ones are read:
one write at a time, in order, and every batch that arrived during a write goes into the next
one (group commit). So the event loop decodes and checks while the database thread inserts,
and a feed of many small batches (one tick every millisecond) costs one transaction per write,
not one per batch; each batch is still stored whole or not at all (a group is one transaction
of whole batches).

Bounded: when `max_waiting` ticks wait for a write, `add` waits too, and the stream's HTTP/2
flow control holds the client back."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from services.analytics.domain.model import BatchOutcome, ReceivedTick

Store = Callable[[Sequence[ReceivedTick]], Awaitable[BatchOutcome]]


@dataclass
class Stored:
    """What the writes of one stream have stored so far."""

    batches: int = 0
    ticks: int = 0
    new: int = 0


class BatchWriter:
    def __init__(self, store: Store, *, max_waiting: int) -> None:
        self._store = store
        self._max_waiting = max_waiting
        self._waiting: list[list[ReceivedTick]] = []
        self._waiting_ticks = 0
        self._changed = asyncio.Condition()
        self._closing = False
        self._failed: BaseException | None = None
        self.stored = Stored()
        self._task = asyncio.ensure_future(self._run())

    async def add(self, batch: list[ReceivedTick]) -> None:
        """Queue a checked batch; waits while the queue is full. Raises a write's error."""
        async with self._changed:
            await self._changed.wait_for(
                lambda: self._failed is not None or self._waiting_ticks < self._max_waiting
            )
            if self._failed is not None:
                raise self._failed
            self._waiting.append(batch)
            self._waiting_ticks += len(batch)
            self._changed.notify_all()

    async def close(self) -> Stored:
        """Write what is queued, then stop; what was stored. Raises a write's error."""
        async with self._changed:
            self._closing = True
            self._changed.notify_all()
        await self._task
        return self.stored

    def abort(self) -> None:
        """Stop without waiting (the stream was cancelled); nothing when already stopped. A
        write in progress still ends in a commit or a rollback (the repository finishes it)."""
        self._task.cancel()

    async def _run(self) -> None:
        while True:
            async with self._changed:
                await self._changed.wait_for(lambda: bool(self._waiting) or self._closing)
                if not self._waiting:
                    return
                group, self._waiting, self._waiting_ticks = self._waiting, [], 0
                self._changed.notify_all()  # room for the reader
            try:
                outcome = await self._store([tick for batch in group for tick in batch])
            except BaseException as error:
                async with self._changed:
                    self._failed = error
                    self._changed.notify_all()  # a waiting reader sees the error
                raise
            self.stored.batches += len(group)
            self.stored.ticks += sum(len(batch) for batch in group)
            self.stored.new += outcome.stored
