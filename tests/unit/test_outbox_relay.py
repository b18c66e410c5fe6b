"""The outbox relay on an in-memory store, fake consumers and a fake clock: no sleeps, each
pass driven by the test (`run_once`)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from services.common.outbox import (
    InMemoryOutboxStore,
    OutboxRelay,
    RelayPolicy,
    Topic,
    TopicBacklog,
)
from tests.unit.trading_fakes import FakeConsumer

pytestmark = pytest.mark.unit

POLICY = RelayPolicy(
    poll_interval_seconds=0.01,
    base_backoff_seconds=1.0,
    max_backoff_seconds=8.0,
    max_attempts=3,
    lease_seconds=60.0,
)


@pytest.fixture
def store(clock) -> InMemoryOutboxStore:
    return InMemoryOutboxStore(clock)


@pytest.fixture
def ticks() -> FakeConsumer:
    return FakeConsumer()


@pytest.fixture
def alerts() -> FakeConsumer:
    return FakeConsumer()


@pytest.fixture
def relay(store, ticks, alerts, clock) -> OutboxRelay:
    topics = [Topic("ticks", ticks, batch_size=3), Topic("alerts", alerts, batch_size=2)]
    return OutboxRelay(store, topics, clock, POLICY)


async def queue(store: InMemoryOutboxStore, topic: str, *ids: str) -> None:
    for tick_id in ids:
        await store.add(topic, {"id": tick_id})


async def test_bundles_are_counted_by_their_items_and_a_large_one_goes_alone(store, clock):
    consumer = FakeConsumer()
    relay = OutboxRelay(store, [Topic("ticks", consumer, batch_size=10, max_items=4)], clock)
    for tick_id, items in (("a", 3), ("b", 1), ("c", 2), ("d", 9), ("e", 1)):
        await store.add("ticks", {"id": tick_id}, items=items)
    while await relay.run_once():
        pass
    assert consumer.batches == [["a", "b"], ["c"], ["d"], ["e"]]


async def test_messages_are_delivered_in_order_in_bounded_batches(relay, store, ticks):
    await queue(store, "ticks", "a", "b", "c", "d", "e")
    assert await relay.run_once() == 3
    assert await relay.run_once() == 2
    assert await relay.run_once() == 0
    assert ticks.batches == [["a", "b", "c"], ["d", "e"]]
    assert store.messages == {}  # delivered messages are deleted
    assert relay.stats["ticks"].delivered == 5


async def test_each_topic_is_delivered_to_its_own_consumer(relay, store, ticks, alerts):
    await queue(store, "ticks", "t1")
    await queue(store, "alerts", "a1")
    ticks.down = ConnectionError("analytics is down")
    await relay.run_once()
    assert alerts.received == ["a1"] and ticks.received == []  # one down blocks only itself


async def test_a_consumer_down_gets_the_batch_again_with_capped_exponential_backoff(
    relay, store, ticks, clock
):
    await queue(store, "ticks", "a", "b")
    ticks.down = ConnectionError("refused")
    delays = []
    for _ in range(6):
        await relay.run_once()
        [head, *_] = await store.pending("ticks", 1)
        delay = head.next_attempt_at - clock.now
        delays.append(delay.total_seconds())
        assert await relay.run_once() == 0 and len(ticks.batches) == len(delays)  # not yet due
        clock.now = head.next_attempt_at
    assert delays == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert relay.stats["ticks"].failed_batches == 6

    ticks.down = None
    await queue(store, "ticks", "c")
    assert await relay.run_once() == 3
    assert ticks.received == ["a", "b", "c"]  # recovered, order kept, nothing parked
    assert store.parked == {}


async def test_later_messages_wait_behind_a_backed_off_head(relay, store, ticks, clock):
    await queue(store, "ticks", "a")
    ticks.down = ConnectionError("refused")
    await relay.run_once()
    ticks.down = None
    await queue(store, "ticks", "b")  # due now, but "a" is not: order per topic wins
    assert await relay.run_once() == 0
    clock.advance(1)
    await relay.run_once()
    assert ticks.received == ["a", "b"]


async def test_a_refused_message_is_retried_then_parked_and_never_blocks_the_topic(
    relay, store, ticks, clock, caplog
):
    await queue(store, "ticks", "a", "poison", "b")
    ticks.refuse = {"poison"}
    await relay.run_once()
    assert ticks.received == ["a", "b"]  # the rest of the batch is delivered
    for _ in range(POLICY.max_attempts - 1):
        clock.advance(POLICY.max_backoff_seconds)
        await relay.run_once()
    assert [m.payload["id"] for m, _ in store.parked.values()] == ["poison"]
    assert ticks.batches.count(["poison"]) == POLICY.max_attempts - 1
    assert relay.stats["ticks"].parked == 1
    assert "parked after 3 refusals" in caplog.text

    await queue(store, "ticks", "c")
    await relay.run_once()
    assert ticks.received == ["a", "b", "c"]
    assert await store.counts() == {"ticks": {"pending": 0, "parked": 1}}


async def test_a_consumer_that_accepts_again_gets_the_refused_message(relay, store, ticks, clock):
    await queue(store, "ticks", "x")
    ticks.refuse = {"x"}
    await relay.run_once()
    ticks.refuse = set()  # e.g. a newer analytics with wider rules
    clock.advance(POLICY.base_backoff_seconds)
    await relay.run_once()
    assert ticks.received == ["x"] and store.parked == {}


async def test_of_two_relays_reading_the_same_head_one_delivers(store, ticks, clock):
    await queue(store, "ticks", "a")
    [head] = await store.pending("ticks", 1)
    assert await store.claim(head, clock.now + timedelta(seconds=60))
    assert not await store.claim(head, clock.now + timedelta(seconds=60))  # lost the race
    other = OutboxRelay(store, [Topic("ticks", ticks)], clock, POLICY)
    assert await other.run_once() == 0  # the head is leased
    clock.advance(POLICY.lease_seconds)  # ... until the lease runs out (its relay died)
    assert await other.run_once() == 1


async def test_the_running_relay_delivers_when_woken_and_survives_a_failing_pass(
    store, clock, caplog
):
    delivered = asyncio.Event()

    async def consumer(batch):
        delivered.set()
        return {}

    relay = OutboxRelay(store, [Topic("ticks", consumer)], clock, POLICY)
    broken = asyncio.Event()
    real_pending = store.pending

    async def pending_once_broken(topic, limit, max_items=None):
        if not broken.is_set():
            broken.set()
            raise ConnectionError("database went away")
        return await real_pending(topic, limit, max_items)

    store.pending = pending_once_broken
    caplog.set_level(logging.ERROR)
    async with relay.running():
        await asyncio.wait_for(broken.wait(), 5)
        await queue(store, "ticks", "a")
        relay.wake()
        await asyncio.wait_for(delivered.wait(), 5)
    assert "outbox relay pass failed" in caplog.text
    assert store.messages == {}


async def test_a_consumer_that_hangs_holds_up_only_its_own_topic(store, clock):
    """Each topic has its own loop: analytics waiting on a commit (or a consumer timing out)
    does not stop notification's messages, and the other way round."""
    hanging_now, release, delivered = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def hanging(batch):
        hanging_now.set()
        await release.wait()
        return {}

    async def quick(batch):
        delivered.set()
        return {}

    relay = OutboxRelay(store, [Topic("slow", hanging), Topic("fast", quick)], clock, POLICY)
    await queue(store, "slow", "a")
    async with relay.running():
        relay.wake()
        await asyncio.wait_for(hanging_now.wait(), 5)
        await queue(store, "fast", "b")
        relay.wake()
        await asyncio.wait_for(delivered.wait(), 5)  # while "slow" still hangs
        assert await store.counts() == {"slow": {"pending": 1, "parked": 0}}
        release.set()


def test_backoff_doubles_from_the_base_up_to_the_cap():
    policy = RelayPolicy(base_backoff_seconds=0.5, max_backoff_seconds=3.0)
    assert [policy.backoff(n).total_seconds() for n in range(1, 6)] == [0.5, 1, 2, 3, 3]


async def test_the_in_memory_store_reports_its_backlog_like_the_database(
    relay, store, ticks, clock
):
    await queue(store, "ticks", "t1")
    clock.advance(5)
    await queue(store, "ticks", "t2", "bad")
    await queue(store, "alerts", "a1")
    assert (await store.backlog())["ticks"] == TopicBacklog(3, 0, clock.now - timedelta(seconds=5))
    ticks.refuse = {"bad"}
    for _ in range(POLICY.max_attempts):
        await relay.run_once()
        clock.advance(POLICY.max_backoff_seconds)
    assert await store.backlog() == {"ticks": TopicBacklog(parked=1)}
