"""BatchWriter (analytics' group commit for StreamTickBatches): one write at a time, in order;
batches that arrive during a write go into the next one whole; a full queue makes `add` wait;
a write's error reaches the reader; abort stops it."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest

from services.analytics.domain.model import BatchOutcome, MarketTick, ReceivedTick
from services.analytics.entrypoints.batch_writer import BatchWriter
from tests.support.clock import FakeClock

pytestmark = pytest.mark.unit


def batch(size: int) -> list[ReceivedTick]:
    now = FakeClock().now
    return [ReceivedTick(uuid4(), MarketTick("BTC", 1.0, 1), now) for _ in range(size)]


class GatedStore:
    """Each write waits for its gate to open."""

    def __init__(self) -> None:
        self.writes: list[int] = []
        self.gate = asyncio.Event()
        self.fail = False

    async def __call__(self, ticks) -> BatchOutcome:
        self.writes.append(len(ticks))
        await self.gate.wait()
        self.gate.clear()
        if self.fail:
            raise RuntimeError("disk full")
        return BatchOutcome(stored=len(ticks) - 1, duplicates=1)


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def open_gate_until_closed(store: GatedStore, closing: asyncio.Future) -> None:
    while not closing.done():
        store.gate.set()
        await settle()


async def test_batches_arriving_during_a_write_go_whole_into_the_next_one():
    store = GatedStore()
    writer = BatchWriter(store, max_waiting=100)
    await writer.add(batch(2))
    await settle()  # the first write starts with the one batch there is
    for size in (3, 4, 5):
        await writer.add(batch(size))
    await settle()
    assert store.writes == [2]  # one write at a time
    closing = asyncio.ensure_future(writer.close())
    await open_gate_until_closed(store, closing)
    stored = await closing
    assert store.writes == [2, 12]
    assert (stored.batches, stored.ticks, stored.new) == (4, 14, 12)


async def test_a_full_queue_makes_the_reader_wait():
    store = GatedStore()
    writer = BatchWriter(store, max_waiting=5)
    await writer.add(batch(1))
    await settle()  # being written
    await writer.add(batch(5))  # waiting: the queue is full now
    blocked = asyncio.ensure_future(writer.add(batch(1)))
    await settle()
    assert not blocked.done()
    store.gate.set()  # the first write ends; the waiting batch is taken: room again
    await settle()
    assert blocked.done()
    writer.abort()


async def test_a_write_s_error_reaches_the_reader_and_close():
    store = GatedStore()
    store.fail = True
    writer = BatchWriter(store, max_waiting=1)
    await writer.add(batch(1))
    await settle()
    await writer.add(batch(1))
    blocked = asyncio.ensure_future(writer.add(batch(1)))
    store.gate.set()
    with pytest.raises(RuntimeError, match="disk full"):
        await blocked
    with pytest.raises(RuntimeError, match="disk full"):
        await writer.close()


async def test_abort_stops_an_idle_writer():
    writer = BatchWriter(GatedStore(), max_waiting=1)
    writer.abort()
    await settle()
    with pytest.raises(asyncio.CancelledError):
        await writer.close()
