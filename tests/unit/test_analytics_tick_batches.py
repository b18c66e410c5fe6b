"""StreamTickBatches on fakes, called directly: a batch is stored whole or refused whole, the
refusal names the batch and the tick and what was stored before it; duplicates by source_id
are counted once; the stream and the batch are bounded. (The codec and the wire decoder are
tested in test_analytics_tick_batch_wire; a running instance in tests/contract.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable

import pytest
from grpclib import GRPCError, Status

from services.analytics.bootstrap import build_deps
from services.analytics.entrypoints.drain import Drain
from services.analytics.entrypoints.grpc import MarketDataService
from services.common.tick_batch_wire import WireTick
from tests.support.clock import FakeClock
from tests.unit.analytics_fakes import InMemoryTickRepository

pytestmark = pytest.mark.unit

NOW_MS = 1_767_225_600_000  # FakeClock's 2026-01-01T00:00:00Z


def tick(source_id: str = "", price: float = 1.5, timestamp: int = NOW_MS) -> WireTick:
    return ("BTC", price, timestamp, source_id, 0.0)


async def batches(items: Iterable[list[WireTick]]) -> AsyncIterator[list[WireTick]]:
    for item in items:
        yield item


@pytest.fixture
def repo() -> InMemoryTickRepository:
    return InMemoryTickRepository()


@pytest.fixture
def service(repo) -> MarketDataService:
    return MarketDataService(build_deps(repo, clock=FakeClock()), Drain(), max_ticks_per_stream=10)


async def test_each_batch_is_one_write_and_duplicates_are_counted_once(service, repo):
    response = await service.stream_tick_batches(
        batches([[tick("a"), tick("b"), tick("a")], [tick("b"), tick("c"), tick()]])
    )
    assert (response.batches, response.ticks) == (2, 6)
    assert (response.stored, response.duplicates) == (4, 2)  # a, b, c, and the one without id
    assert sum(repo.batches) == 6  # in writes of whole batches (batch_writer: group commit)
    assert sorted(str(t.tick.source_id) for t in repo.ticks) == ["None", "a", "b", "c"]


async def test_batches_before_a_refused_one_are_stored_even_while_one_is_being_written(repo):
    """A slow database: batches 0-2 are still being written when batch 3 is refused; the
    refusal waits for them and counts them."""
    gate = asyncio.Event()
    add_many = repo.add_many

    async def slow_add_many(ticks):
        await gate.wait()
        return await add_many(ticks)

    repo.add_many = slow_add_many
    service = MarketDataService(build_deps(repo, clock=FakeClock()), Drain())
    call = asyncio.ensure_future(
        service.stream_tick_batches(
            batches([[tick("a")], [tick("b")], [tick("c")], [tick("d"), tick(price=-1.0)]])
        )
    )
    await asyncio.sleep(0)  # the stream is read up to the refusal, which waits for the writes
    for _ in range(5):
        await asyncio.sleep(0)
    assert not call.done()
    gate.set()
    with pytest.raises(GRPCError) as refused:
        await call
    assert (refused.value.message or "").startswith("batch 3: tick 1: price -1.0 must be")
    assert "the 3 before it were (3 ticks, 3 new)" in (refused.value.message or "")
    assert sorted(t.tick.source_id for t in repo.ticks) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (tick(price=-1.0), "tick 1: price -1.0 must be"),
        (("btc", 1.0, NOW_MS, "", 0.0), "tick 1: asset_symbol 'btc' must be"),
        (tick(timestamp=NOW_MS + 3_600_000), "tick 1: timestamp"),  # an hour ahead
        (("BTC", 1.0, NOW_MS, "x" * 129, 0.0), "tick 1: source_id must be"),
    ],
    ids=["price", "symbol", "future", "source_id"],
)
async def test_one_bad_tick_refuses_its_whole_batch_and_says_which(service, repo, bad, words):
    with pytest.raises(GRPCError) as refused:
        await service.stream_tick_batches(
            batches([[tick("a")], [tick("b"), bad, tick("c")], [tick("d")]])
        )
    assert refused.value.status is Status.INVALID_ARGUMENT
    message = refused.value.message or ""
    assert message.startswith(f"batch 1: {words}")
    assert "the 1 before it were (1 ticks, 1 new)" in message
    assert [t.tick.source_id for t in repo.ticks] == ["a"]  # nothing of batch 1, nor after it


async def test_an_empty_batch_is_refused(service, repo):
    with pytest.raises(GRPCError) as refused:
        await service.stream_tick_batches(batches([[tick("a")], []]))
    assert refused.value.status is Status.INVALID_ARGUMENT
    assert (refused.value.message or "").startswith("batch 1: a batch holds at least one tick")


async def test_a_stream_over_its_tick_bound_is_resource_exhausted(service, repo):
    with pytest.raises(GRPCError) as refused:
        await service.stream_tick_batches(
            batches([[tick(f"{i}-{j}") for j in range(4)] for i in range(3)])  # 12 > 10
        )
    assert refused.value.status is Status.RESOURCE_EXHAUSTED
    assert (refused.value.message or "").startswith("batch 2: a stream carries at most 10 ticks")
    assert len(repo.ticks) == 8  # the two batches before it


async def test_a_refusal_of_the_codec_ends_the_stream_naming_the_batch(service, repo):
    async def failing() -> AsyncIterator[list[WireTick]]:
        yield [tick("a")]
        raise GRPCError(Status.RESOURCE_EXHAUSTED, "a batch holds more than 1000 ticks")

    with pytest.raises(GRPCError) as refused:
        await service.stream_tick_batches(failing())
    assert refused.value.status is Status.RESOURCE_EXHAUSTED
    assert (refused.value.message or "").startswith(
        "batch 1: a batch holds more than 1000 ticks; this batch and any after it were not stored"
    )


async def test_a_huge_bad_field_is_quoted_short(service):
    with pytest.raises(GRPCError) as refused:
        await service.stream_tick_batches(batches([[("x" * 500_000, 1.0, NOW_MS, "", 0.0)]]))
    assert "(500000 characters)" in (refused.value.message or "")
    assert len(refused.value.message or "") < 400


async def test_draining_refuses_a_new_stream(repo):
    drain = Drain()
    service = MarketDataService(build_deps(repo, clock=FakeClock()), drain)
    await drain.wait_idle(grace_seconds=0)
    with pytest.raises(GRPCError) as refused:
        await service.stream_tick_batches(batches([[tick("a")]]))
    assert refused.value.status is Status.UNAVAILABLE
    assert repo.ticks == []
