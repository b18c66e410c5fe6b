"""Delivers outbox batches of users' notification events (`NotificationEventInput` payloads) to
notification: `POST /internal/notification-events`, one call per (event, recipient) in order,
through the client generated from its contract. Every publisher uses it: nft (NFT minted and
transferred), trading (sale completed).

201 (delivered) and 200 (delivered before: same eventId) are success. Refusals are only the
answers that judge the message itself — 400, 415, 409 (this eventId already went to the user
with another body), 422 — reported by message id, retried a few times, then parked by the
outbox. Every other answer (5xx, 404 or 429 from a mesh mid-rollout, a timeout, a broken
connection) says nothing about the message: the rest of the batch is retried with backoff."""

from __future__ import annotations

from collections.abc import Sequence

from generated.rest.notification_client.api.internal import publish_notification_event
from generated.rest.notification_client.models import NotificationEventInput
from services.common.notification_calls import CONSUMER, NotificationCalls
from services.common.outbox import DeliveryFailed, OutboxMessage

DELIVERED = frozenset({200, 201})
REFUSED = frozenset({400, 409, 415, 422})


class NotificationEventDelivery:
    def __init__(self, address: str, timeout_seconds: float) -> None:
        self._calls = NotificationCalls(address, timeout_seconds)

    async def __call__(self, batch: Sequence[OutboxMessage]) -> dict[int, str]:
        refused: dict[int, str] = {}
        for message in batch:
            try:
                body = NotificationEventInput.from_dict(message.payload)
            except (KeyError, ValueError, TypeError) as error:  # cannot be sent as it is
                refused[message.id] = f"not a notification event: {error!r}"[:500]
                continue
            status = await self._calls.status_of(
                publish_notification_event.asyncio_detailed(
                    # No Idempotency-Key: notification dedupes by (eventId, userId) already.
                    client=self._calls.client,
                    body=body,
                )
            )
            if status in REFUSED:
                refused[message.id] = f"notification answered {status}"
            elif status not in DELIVERED:
                raise DeliveryFailed(CONSUMER, f"answered {status}")
        return refused

    async def aclose(self) -> None:
        await self._calls.aclose()
