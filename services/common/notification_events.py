"""Delivers outbox batches of users' notification events (`NotificationEventInput` payloads) to
notification through the client generated from its contract: `POST
/internal/notification-events/batches`, up to MAX_EVENTS_PER_CALL events a call, in order.
Every publisher uses it: nft (NFT minted and transferred), trading (sale completed).

Each event gets an outcome: `delivered` and `duplicate` (delivered before: same eventId and
body) are success; `conflict` (this eventId already went to the user with another body) and
`refused` judge the message itself and are reported by message id, retried a few times, then
parked by the outbox. A batch answered 400 (outside notification's contract: a newer publisher
than notification) is sent again one event at a time with `POST /internal/notification-events`,
so only the events at fault are refused. Every other answer (5xx, 404 or 429 from a mesh
mid-rollout, a timeout, a broken connection) says nothing about the messages: the rest of the
batch is retried with backoff, and notification answers what it has as `duplicate`."""

from __future__ import annotations

from collections.abc import Sequence

from generated.rest.notification_client.api.internal import (
    publish_notification_event,
    publish_notification_event_batch,
)
from generated.rest.notification_client.models import (
    NotificationEventBatchInput,
    NotificationEventBatchResult,
    NotificationEventInput,
    NotificationEventOutcomeOutcome,
)
from services.common.notification_calls import (
    CONSUMER,
    MAX_EVENTS_PER_CALL,
    NotificationCalls,
    refusal,
)
from services.common.outbox import DeliveryFailed, OutboxMessage

DELIVERED = frozenset({200, 201})
REFUSED = frozenset({400, 409, 415, 422})
NOT_DELIVERED = {
    NotificationEventOutcomeOutcome.CONFLICT: "notification answered conflict (409): this "
    "eventId went to the user with another body",
    NotificationEventOutcomeOutcome.REFUSED: "notification refused it",
}

Event = tuple[int, NotificationEventInput]  # (the outbox message's id, its event)


class NotificationEventDelivery:
    def __init__(self, address: str, timeout_seconds: float) -> None:
        self._calls = NotificationCalls(address, timeout_seconds)

    async def __call__(self, batch: Sequence[OutboxMessage]) -> dict[int, str]:
        refused: dict[int, str] = {}
        events: list[Event] = []
        for message in batch:
            try:
                events.append((message.id, NotificationEventInput.from_dict(message.payload)))
            except (KeyError, ValueError, TypeError) as error:  # cannot be sent as it is
                refused[message.id] = f"not a notification event: {error!r}"[:500]
        for start in range(0, len(events), MAX_EVENTS_PER_CALL):
            refused |= await self._deliver(events[start : start + MAX_EVENTS_PER_CALL])
        return refused

    async def _deliver(self, chunk: Sequence[Event]) -> dict[int, str]:
        results = await self._calls.batch_results(
            publish_notification_event_batch.asyncio_detailed(
                # No Idempotency-Key: notification dedupes by (eventId, userId) already.
                client=self._calls.client,
                body=NotificationEventBatchInput(events=[event for _, event in chunk]),
            ),
            NotificationEventBatchResult,
            len(chunk),
        )
        if results is None:
            return await self._one_by_one(chunk)
        return {
            message_id: refusal(NOT_DELIVERED[result.outcome], result.problems)
            for (message_id, _), result in zip(chunk, results, strict=True)
            if result.outcome in NOT_DELIVERED
        }

    async def _one_by_one(self, chunk: Sequence[Event]) -> dict[int, str]:
        refused: dict[int, str] = {}
        for message_id, event in chunk:
            status = await self._calls.status_of(
                publish_notification_event.asyncio_detailed(client=self._calls.client, body=event)
            )
            if status in REFUSED:
                refused[message_id] = f"notification answered {status}"
            elif status not in DELIVERED:
                raise DeliveryFailed(CONSUMER, f"answered {status}")
        return refused

    async def aclose(self) -> None:
        await self._calls.aclose()
