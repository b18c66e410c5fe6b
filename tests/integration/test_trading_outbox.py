"""Trading's transactional outbox on real databases (SQLite and PostgreSQL): the tick and its
messages commit or roll back together, also nested in the Idempotency-Key transaction; and
relays racing on one database deliver everything, at least once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from prometheus_client.parser import text_string_to_metric_families
from tortoise.transactions import in_transaction

from services.common.database import service_database
from services.common.metrics import AppMetrics
from services.common.outbox import OutboxRelay, RelayPolicy, Topic, within_items
from services.common.outbox_metrics import OutboxMetrics
from services.common.outbox_orm import TortoiseOutboxStore
from services.trading.adapters.consumer_messages import ticks_of
from services.trading.adapters.orm import MarketDataTickRecord, OutboxMessage
from services.trading.adapters.tick_repository import TortoiseTickRepository
from services.trading.bootstrap import build_deps
from services.trading.config import TradingSettings
from services.trading.service_layer import ticks, topics
from tests.integration.conftest import migrated_and_open
from tests.unit.trading_fakes import FakeConsumer

pytestmark = pytest.mark.integration


def utc_now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
async def store(database_url):
    settings = TradingSettings(database_url=database_url)
    async with migrated_and_open(service_database("trading", settings)):
        yield TortoiseOutboxStore(OutboxMessage, utc_now)


@pytest.fixture
def deps(store):
    return build_deps(
        TortoiseTickRepository(), store, transaction=partial(in_transaction, "trading")
    )


async def submit(deps, price: float = 100.0, timestamp: int = 1):
    return await ticks.submit_market_data(
        deps, asset_symbol="ETH-USD", price=price, timestamp=timestamp
    )


async def counts() -> tuple[int, int]:
    return await MarketDataTickRecord.all().count(), await OutboxMessage.all().count()


async def test_the_tick_and_one_message_per_consumer_commit_together(deps, store):
    tick = await submit(deps)
    assert await counts() == (1, 2)
    for topic in topics.TICK_TOPICS:
        [message] = await store.pending(topic, 10)
        assert message.payload["id"] == str(tick.id) and message.attempts == 0


async def test_a_failed_message_write_rolls_the_tick_back(deps, store, monkeypatch):
    async def broken(topic, payload):
        raise ConnectionError("lost the database mid-transaction")

    monkeypatch.setattr(store, "add", broken)
    with pytest.raises(ConnectionError):
        await submit(deps)
    assert await counts() == (0, 0)


async def test_nested_in_an_outer_transaction_they_commit_and_roll_back_with_it(deps):
    # As under an Idempotency-Key: the use case's transaction is nested in the request's.
    with pytest.raises(RuntimeError):
        async with in_transaction("trading"):
            await submit(deps)
            assert await counts() == (1, 2)  # visible inside the outer transaction
            raise RuntimeError("the stored response could not be written")
    assert await counts() == (0, 0)
    async with in_transaction("trading"):
        await submit(deps)
    assert await counts() == (1, 2)


async def test_delivered_messages_are_deleted_and_refused_ones_parked(store):
    for price in (1.0, 2.0):
        await store.add("ticks", {"id": str(price)})
    [first, second] = await store.pending("ticks", 10)
    assert await store.claim(first, utc_now())
    assert not await store.claim(first, utc_now())  # its lease column changed meanwhile
    await store.delivered([first.id])
    await store.retry_later([second.id], utc_now(), "refused")
    await store.park(second.id, utc_now(), "refused again")
    assert await store.pending("ticks", 10) == []
    assert await store.counts() == {"ticks": {"pending": 0, "parked": 1}}
    parked = await OutboxMessage.get(id=second.id)
    assert (parked.attempts, parked.last_error) == (2, "refused again")


async def test_relays_racing_on_one_database_deliver_everything_and_dedupe_makes_it_once(
    deps, store
):
    ticks = [await submit(deps, price=float(n), timestamp=n) for n in range(1, 41)]
    consumer = FakeConsumer()
    policy = RelayPolicy(lease_seconds=60.0)
    relays = [
        OutboxRelay(store, [Topic("analytics.ticks", consumer, batch_size=7)], utc_now, policy)
        for _ in range(3)
    ]

    async def drain(relay: OutboxRelay) -> None:
        while await store.pending("analytics.ticks", 1):
            await relay.run_once()

    await asyncio.wait_for(asyncio.gather(*(drain(r) for r in relays)), 30)
    expected = [str(t.id) for t in ticks]
    assert set(consumer.received) == set(expected)  # at least once
    assert list(dict.fromkeys(consumer.received)) == expected  # first arrivals in order
    assert await store.counts() == {"notification.price-ticks": {"pending": 40, "parked": 0}}


async def test_a_delivered_batch_is_deleted_in_one_statement_and_nothing_else_is(store):
    # More ids than SQLite once bound per statement (999): the list travels as one parameter.
    for n in range(1200):
        await store.add("ticks", {"id": str(n)})
    await store.add("other", {"id": "elsewhere"})
    batch = await store.pending("ticks", 1200)
    kept, parked = batch[600], batch[601]
    await store.park(parked.id, utc_now(), "refused")
    delivered = [m.id for m in batch if m.id not in (kept.id, parked.id)]
    await store.delivered([*delivered, 10**12])  # an id already gone changes nothing

    assert [m.id for m in await store.pending("ticks", 10)] == [kept.id]
    assert await store.counts() == {
        "ticks": {"pending": 1, "parked": 1},
        "other": {"pending": 1, "parked": 0},
    }
    await store.delivered([])  # an empty batch is no statement at all


async def test_a_relay_dying_between_delivery_and_delete_delivers_the_batch_again(
    deps, store, monkeypatch
):
    ticks = [await submit(deps, price=float(n), timestamp=n) for n in range(1, 6)]
    consumer = FakeConsumer()
    clock = [utc_now()]
    policy = RelayPolicy(lease_seconds=30.0)
    relay = OutboxRelay(
        store, [Topic("analytics.ticks", consumer, batch_size=10)], lambda: clock[0], policy
    )
    delete = store.delivered

    async def crash(ids):
        raise ConnectionError("the relay's process died before the delete")

    monkeypatch.setattr(store, "delivered", crash)
    with pytest.raises(ConnectionError):
        await relay.run_once()
    monkeypatch.setattr(store, "delivered", delete)

    assert await relay.run_once() == 0  # the dead relay's lease still holds the topic
    clock[0] += timedelta(seconds=31)
    assert await relay.run_once() == 5
    expected = [str(t.id) for t in ticks]
    assert consumer.received == expected + expected  # at least once: the batch came twice
    assert await store.pending("analytics.ticks", 10) == []
    # Analytics keeps each source_id once (test_analytics_repository: a source id is kept
    # once, racing copies store one row): the second copy changes nothing there.


async def test_a_batch_of_ticks_and_its_messages_commit_together_in_order(deps, store):
    inputs = [ticks.TickInput("ETH-USD", 100.0 + n, n + 1, 0.5) for n in range(300)]
    assert await ticks.submit_market_data_batch(deps, inputs) == 300
    assert await counts() == (300, 2)  # one bundle per consumer
    for topic in topics.TICK_TOPICS:
        [message] = await store.pending(topic, 1000)
        assert message.items == 300
        bundled = ticks_of(message.payload)
        assert [t["price"] for t in bundled] == [100.0 + n for n in range(300)]
    # The bulk insert's rows read back through the model as Tortoise would have written them.
    [newest] = await TortoiseTickRepository().list_recent("ETH-USD", limit=1)
    assert (newest.price, newest.timestamp, newest.quantity) == (399.0, 300, 0.5)
    assert newest.received_at.tzinfo is not None
    assert str(newest.id) == bundled[-1]["id"]


async def test_a_failed_bulk_message_write_rolls_the_whole_batch_back(deps, store, monkeypatch):
    async def broken(topic, payload, *, items=1):
        raise ConnectionError("lost the database mid-transaction")

    monkeypatch.setattr(store, "add", broken)
    with pytest.raises(ConnectionError):
        await ticks.submit_market_data_batch(deps, [ticks.TickInput("ETH-USD", 1.0, 1)] * 5)
    assert await counts() == (0, 0)


@pytest.mark.parametrize(
    ("max_items", "expected"),
    [(None, [1, 2, 3, 4, 5]), (5, [1, 2, 3]), (4, [1, 2]), (2, [1]), (1, [1])],
)
async def test_a_batch_is_cut_where_its_items_pass_the_bound_the_first_always_taken(
    store, max_items, expected
):
    async with in_transaction("trading"):
        for number, items in enumerate([3, 1, 1, 600, 1], start=1):
            await store.add("analytics.ticks", {"n": number}, items=items)
        await store.add("notification.price-ticks", {"n": 0}, items=1)
    head = await store.pending("analytics.ticks", 100, max_items)
    assert [m.payload["n"] for m in head] == expected
    assert [m.items for m in head] == [3, 1, 1, 600, 1][: len(expected)]


async def test_a_bundle_larger_than_the_bound_goes_alone(store):
    async with in_transaction("trading"):
        for number, items in enumerate([600, 1, 1], start=1):
            await store.add("analytics.ticks", {"n": number}, items=items)
    [head] = await store.pending("analytics.ticks", 100, 5)
    await store.delivered([head.id])
    rest = await store.pending("analytics.ticks", 100, 5)
    assert (head.payload["n"], [m.payload["n"] for m in rest]) == (1, [2, 3])


async def test_the_database_and_the_in_memory_store_cut_batches_alike(store):
    sizes = [2, 7, 1, 1, 4, 9, 1, 3, 3, 1]
    async with in_transaction("trading"):
        for number, items in enumerate(sizes):
            await store.add("analytics.ticks", {"n": number}, items=items)
    messages = await store.pending("analytics.ticks", 100)
    for limit in (1, 3, 10):
        for max_items in (1, 2, 5, 8, 13, 100):
            cut = await store.pending("analytics.ticks", limit, max_items)
            assert cut == within_items(messages[:limit], max_items), (limit, max_items)


def outbox_samples(metrics: AppMetrics) -> dict[tuple[str, str], float]:
    """(metric, topic) -> value, as a scrape reads them."""
    return {
        (sample.name, sample.labels["topic"]): sample.value
        for family in text_string_to_metric_families(metrics.exposition().decode())
        for sample in family.samples
        if sample.name.startswith("capsure_outbox_")
    }


async def test_the_outbox_backlog_its_age_and_the_relays_work_are_scraped(store):
    now = utc_now()
    analytics, notification = FakeConsumer(), FakeConsumer()
    relay = OutboxRelay(
        store,
        [Topic("analytics.ticks", analytics), Topic("notification.events", notification)],
        clock=lambda: now + timedelta(minutes=10),  # the relay's passes, 10 min later
        policy=RelayPolicy(max_attempts=1),
    )
    metrics = AppMetrics("trading")
    OutboxMetrics(metrics, relay, clock=lambda: now + timedelta(seconds=90))
    await store.add("analytics.ticks", {"id": "a"})
    await store.add("analytics.ticks", {"id": "b"})
    await store.add("notification.events", {"id": "refused"})
    await store.add("notification.events", {"id": "taken"})
    analytics.down = ConnectionError("analytics is down")
    notification.refuse = {"refused"}
    await relay.run_once()  # analytics' batch fails; notification parks one, takes the other

    await metrics.refresh()
    figures = outbox_samples(metrics)
    assert figures[("capsure_outbox_backlog", "analytics.ticks")] == 2
    assert figures[("capsure_outbox_backlog", "notification.events")] == 0
    # Queued "now" (the store's clock), read 90 s later: a second's leeway for the inserts.
    assert 89 <= figures[("capsure_outbox_oldest_age_seconds", "analytics.ticks")] <= 91
    assert figures[("capsure_outbox_oldest_age_seconds", "notification.events")] == 0
    assert figures[("capsure_outbox_parked_messages", "notification.events")] == 1
    assert figures[("capsure_outbox_failed_deliveries_total", "analytics.ticks")] == 1
    assert figures[("capsure_outbox_delivered_total", "notification.events")] == 1
    assert figures[("capsure_outbox_parkings_total", "notification.events")] == 1
    assert figures[("capsure_outbox_delivered_total", "analytics.ticks")] == 0
