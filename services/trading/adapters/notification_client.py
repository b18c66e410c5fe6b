"""Delivers outbox batches of ticks to notification: `POST /internal/price-ticks`, one call
per tick in order, through the client generated from notification's contract.

A tick notification refuses as invalid (4xx) is reported back by message id; anything else
that is not a 200 (down, 5xx, timeout) fails the rest of the batch, which the outbox retries
— notification answers a tick it already applied as `duplicate` or `stale`."""

from __future__ import annotations

from collections.abc import Sequence

from generated.rest.notification_client.api.internal import submit_price_tick
from services.common.notification_calls import CONSUMER, NotificationCalls
from services.common.outbox import DeliveryFailed, OutboxMessage
from services.trading.adapters.consumer_messages import message_to_price_tick


class NotificationDelivery:
    def __init__(self, address: str, timeout_seconds: float) -> None:
        self._calls = NotificationCalls(address, timeout_seconds)

    async def __call__(self, batch: Sequence[OutboxMessage]) -> dict[int, str]:
        refused: dict[int, str] = {}
        for message in batch:
            status = await self._calls.status_of(
                submit_price_tick.asyncio_detailed(
                    client=self._calls.client,
                    # No Idempotency-Key: notification dedupes ticks by sourceId already, and
                    # a key would cost it a stored response per tick.
                    body=message_to_price_tick(message.payload),
                )
            )
            if 400 <= status < 500:
                refused[message.id] = f"notification answered {status}"
            elif status != 200:
                raise DeliveryFailed(CONSUMER, f"answered {status}")
        return refused

    async def aclose(self) -> None:
        await self._calls.aclose()
