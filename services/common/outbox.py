"""A transactional outbox: messages written in the same database transaction as the change they
announce, then delivered by a relay in the background — at least once, in order per topic.

Producers call `store.add(topic, payload)` inside their transaction; the relay takes the oldest
pending messages of each topic (one bounded batch at a time), hands them to the topic's
delivery function and deletes them once delivered. A message may carry several items (a bundle:
trading queues a POSTed batch of ticks as one message per consumer); a topic's batches are then
bounded in items as well as in messages. Consumers must dedupe (a crash between
delivery and delete, or two relays on one database, sends a message again).

A delivery function either returns the messages the consumer refused as invalid (id -> reason;
empty when it took them all) or raises: an exception means "try the whole batch again later"
(consumer down, timeout), with exponential backoff capped at `max_backoff_seconds`. A refused
message is retried too (a newer consumer may accept it) and parked after `max_attempts`, so
a poison message delays its topic by a bounded time and never blocks it."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from services.common.background import running_in_background
from services.common.tracing import current_traceparent, delivery_span

log = logging.getLogger(__name__)

Payload = dict[str, Any]


@dataclass(frozen=True)
class OutboxMessage:
    id: int  # increases with insertion: the delivery order within a topic
    topic: str
    payload: Payload
    created_at: datetime
    attempts: int  # failed deliveries so far
    next_attempt_at: datetime
    items: int = 1  # what the payload carries (a bundle's ticks): bounds a batch's size
    # The `traceparent` of the request that queued it: its delivery joins that trace.
    trace_context: str | None = None


class DeliveryFailed(Exception):
    """A consumer did not take a batch (down, slow, or an answer outside its contract): the
    relay delivers it again later. For logs, not for clients."""

    def __init__(self, consumer: str, reason: str) -> None:
        self.consumer = consumer
        self.reason = reason
        super().__init__(f"{consumer}: {reason}")


# Returns {message id: why the consumer refused it}; raises when the batch should be retried.
Delivery = Callable[[Sequence[OutboxMessage]], Awaitable[Mapping[int, str]]]


class OutboxStore(Protocol):
    async def add(self, topic: str, payload: Payload, *, items: int = 1) -> None:
        """Queue a message in the caller's current transaction; `items`: how many things its
        payload carries (a bundle), counted against a topic's `max_items`."""
        ...

    async def add_many(self, topic: str, payloads: Sequence[Payload]) -> None:
        """Queue messages, in this order, with one bulk insert in the current transaction."""
        ...

    async def pending(
        self, topic: str, limit: int, max_items: int | None = None
    ) -> list[OutboxMessage]:
        """The oldest undelivered, unparked messages of a topic, in order: at most `limit`
        messages and, beyond the first, at most `max_items` items in all."""
        ...

    async def claim(self, message: OutboxMessage, until: datetime) -> bool:
        """Lease the topic's head until `until`: False when another relay changed it first."""
        ...

    async def delivered(self, ids: Sequence[int]) -> None: ...

    async def retry_later(self, ids: Sequence[int], at: datetime, error: str) -> None:
        """Count one more failed attempt of each, and hold them until `at`."""
        ...

    async def park(self, message_id: int, at: datetime, error: str) -> None:
        """Give up on a message: kept for an operator, never delivered again."""
        ...

    async def counts(self) -> dict[str, dict[str, int]]:
        """{topic: {"pending": n, "parked": m}} for operators."""
        ...

    async def backlog(self) -> dict[str, TopicBacklog]:
        """Each topic's undelivered and parked messages, and when its oldest undelivered
        one was queued (topics with neither are left out)."""
        ...


@dataclass(frozen=True)
class TopicBacklog:
    pending: int = 0
    parked: int = 0
    oldest_pending_at: datetime | None = None


@dataclass(frozen=True)
class Topic:
    name: str
    deliver: Delivery
    batch_size: int = 500  # messages per delivery
    max_items: int | None = None  # items per delivery (bundles), the first message always


@dataclass(frozen=True)
class RelayPolicy:
    poll_interval_seconds: float = 0.5  # also picks up messages committed by other instances
    base_backoff_seconds: float = 0.5
    max_backoff_seconds: float = 30.0
    max_attempts: int = 5  # of a refused message, before it is parked
    # A relay that dies mid-delivery holds its topic this long; longer than any delivery.
    lease_seconds: float = 30.0

    def backoff(self, attempts: int) -> timedelta:
        seconds = self.base_backoff_seconds * 2 ** max(attempts - 1, 0)
        return timedelta(seconds=min(seconds, self.max_backoff_seconds))


@dataclass
class TopicStats:
    delivered: int = 0
    failed_batches: int = 0
    parked: int = 0


class Wakeup:
    """Ends the relay's wait early (after a local commit); else it polls."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def set(self) -> None:
        self._event.set()

    async def wait(self, seconds: float) -> None:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can turn a cancellation that
        # coincides with its timeout into a TimeoutError, which would be swallowed here and
        # keep a stopping relay alive.
        with suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._event.wait()
        self._event.clear()


@dataclass
class OutboxRelay:
    store: OutboxStore
    topics: Sequence[Topic]
    clock: Callable[[], datetime]
    policy: RelayPolicy = field(default_factory=RelayPolicy)
    stats: dict[str, TopicStats] = field(default_factory=dict)
    # One per topic: each topic is relayed by its own loop, so a slow consumer (or one in
    # backoff) never holds up another's deliveries.
    _wakeups: dict[str, Wakeup] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.stats = {topic.name: TopicStats() for topic in self.topics}
        self._wakeups = {topic.name: Wakeup() for topic in self.topics}

    def wake(self) -> None:
        for wakeup in self._wakeups.values():
            wakeup.set()

    async def run_once(self) -> int:
        """One pass: at most one batch per topic. Returns how many messages were delivered."""
        delivered = 0
        for topic in self.topics:
            delivered += await self._relay_batch(topic)
        return delivered

    async def run(self) -> None:
        async with asyncio.TaskGroup() as loops:
            for topic in self.topics:
                loops.create_task(self._run_topic(topic), name=f"outbox-relay {topic.name}")

    async def _run_topic(self, topic: Topic) -> None:
        wakeup = self._wakeups[topic.name]
        while True:
            try:
                delivered = await self._relay_batch(topic)
            except Exception:  # the database may be away for a while: keep trying
                log.exception("outbox relay pass failed (%s)", topic.name)
                delivered = 0
            if not delivered:  # after a busy pass, go again at once: there may be more
                await wakeup.wait(self.policy.poll_interval_seconds)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[OutboxRelay]:
        """The relay in the background for the lifetime of the app."""
        async with running_in_background(self.run, "outbox-relay"):
            yield self

    async def _relay_batch(self, topic: Topic) -> int:
        now = self.clock()
        due = list(
            itertools.takewhile(
                lambda m: m.next_attempt_at <= now,
                await self.store.pending(topic.name, topic.batch_size, topic.max_items),
            )
        )
        # The head waits out its backoff and everything behind it waits too: order per topic.
        if not due or not await self.store.claim(due[0], now + self._lease()):
            return 0
        try:
            with delivery_span(f"outbox {topic.name}", [m.trace_context for m in due]):
                refused = await topic.deliver(due)
        except Exception as error:
            await self._retry_batch(topic, due, error)
            return 0
        accepted = [m.id for m in due if m.id not in refused]
        await self.store.delivered(accepted)
        self.stats[topic.name].delivered += len(accepted)
        for message in (m for m in due if m.id in refused):
            await self._refused(topic, message, refused[message.id])
        return len(accepted)

    def _lease(self) -> timedelta:
        return timedelta(seconds=self.policy.lease_seconds)

    async def _retry_batch(
        self, topic: Topic, batch: list[OutboxMessage], error: Exception
    ) -> None:
        attempts = batch[0].attempts + 1
        delay = self.policy.backoff(attempts)
        await self.store.retry_later([m.id for m in batch], self.clock() + delay, _text(error))
        self.stats[topic.name].failed_batches += 1
        log.warning(
            "outbox %s: %d messages not delivered (attempt %d), retry in %.1fs: %s",
            topic.name,
            len(batch),
            attempts,
            delay.total_seconds(),
            _text(error),
        )

    async def _refused(self, topic: Topic, message: OutboxMessage, reason: str) -> None:
        attempts = message.attempts + 1
        if attempts >= self.policy.max_attempts:
            await self.store.park(message.id, self.clock(), reason)
            self.stats[topic.name].parked += 1
            log.error(
                "outbox %s: message %d parked after %d refusals: %s",
                topic.name,
                message.id,
                attempts,
                reason,
            )
            return
        at = self.clock() + self.policy.backoff(attempts)
        await self.store.retry_later([message.id], at, reason)


def within_items(messages: Sequence[OutboxMessage], max_items: int | None) -> list[OutboxMessage]:
    """The leading messages whose items add up to at most `max_items`; the first always."""
    if max_items is None:
        return list(messages)
    taken: list[OutboxMessage] = []
    total = 0
    for message in messages:
        total += message.items
        if taken and total > max_items:
            break
        taken.append(message)
    return taken


def _text(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:500]


class InMemoryOutboxStore:
    """One process's memory: for services running on fakes (tests), not for production."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._ids = itertools.count(1)
        self.messages: dict[int, OutboxMessage] = {}
        self.parked: dict[int, tuple[OutboxMessage, str]] = {}

    async def add(self, topic: str, payload: Payload, *, items: int = 1) -> None:
        now = self._clock()
        message_id = next(self._ids)
        self.messages[message_id] = OutboxMessage(
            message_id, topic, payload, now, 0, now, items, current_traceparent()
        )

    async def add_many(self, topic: str, payloads: Sequence[Payload]) -> None:
        for payload in payloads:
            await self.add(topic, payload)

    async def pending(
        self, topic: str, limit: int, max_items: int | None = None
    ) -> list[OutboxMessage]:
        mine = sorted((m for m in self.messages.values() if m.topic == topic), key=lambda m: m.id)
        return within_items(mine[:limit], max_items)

    async def claim(self, message: OutboxMessage, until: datetime) -> bool:
        current = self.messages.get(message.id)
        if current is None or current.next_attempt_at != message.next_attempt_at:
            return False
        self.messages[message.id] = replace(current, next_attempt_at=until)
        return True

    async def delivered(self, ids: Sequence[int]) -> None:
        for message_id in ids:
            self.messages.pop(message_id, None)

    async def retry_later(self, ids: Sequence[int], at: datetime, error: str) -> None:
        for message_id in ids:
            current = self.messages[message_id]
            self.messages[message_id] = replace(
                current, attempts=current.attempts + 1, next_attempt_at=at
            )

    async def park(self, message_id: int, at: datetime, error: str) -> None:
        self.parked[message_id] = (self.messages.pop(message_id), error)

    async def backlog(self) -> dict[str, TopicBacklog]:
        found: dict[str, TopicBacklog] = {}
        for message in self.messages.values():
            known = found.get(message.topic, TopicBacklog())
            oldest = min(filter(None, (known.oldest_pending_at, message.created_at)))
            found[message.topic] = replace(
                known, pending=known.pending + 1, oldest_pending_at=oldest
            )
        for message, _ in self.parked.values():
            known = found.get(message.topic, TopicBacklog())
            found[message.topic] = replace(known, parked=known.parked + 1)
        return found

    async def counts(self) -> dict[str, dict[str, int]]:
        found: dict[str, dict[str, int]] = {}
        for message in self.messages.values():
            found.setdefault(message.topic, {"pending": 0, "parked": 0})["pending"] += 1
        for message, _ in self.parked.values():
            found.setdefault(message.topic, {"pending": 0, "parked": 0})["parked"] += 1
        return found
