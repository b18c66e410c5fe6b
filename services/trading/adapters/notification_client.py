"""Delivers outbox batches of ticks to notification through the client generated from its
contract: `POST /internal/price-ticks/batches`, up to 1,000 ticks a call, in order.

A tick notification refuses (`refused` in its answer) is reported back by the id of the message
that carries it (a bundle carries many; a call may hold parts of two). A batch
answered 400 (outside notification's contract: a newer trading than notification) is sent
again one tick at a time with `POST /internal/price-ticks`, so only the ticks at fault are
refused. Anything else that is not a 200 (down, 5xx, timeout) fails the rest of the batch,
which the outbox retries: notification answers a tick it already applied as `duplicate` or
`stale`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from generated.rest.notification_client.api.internal import (
    submit_price_tick,
    submit_price_tick_batch,
)
from generated.rest.notification_client.models import (
    PriceTickBatchInput,
    PriceTickBatchResult,
    PriceTickOutcomeOutcome,
)
from services.common.notification_calls import (
    CONSUMER,
    MAX_TICKS_PER_CALL,
    NotificationCalls,
    refusal,
)
from services.common.outbox import DeliveryFailed, OutboxMessage
from services.trading.adapters.consumer_messages import (
    message_to_price_tick,
    ticks_with_message_ids,
)

Tick = tuple[int, dict[str, Any]]  # (the id of the outbox message carrying it, the tick)


class NotificationDelivery:
    def __init__(self, address: str, timeout_seconds: float) -> None:
        self._calls = NotificationCalls(address, timeout_seconds)

    async def __call__(self, batch: Sequence[OutboxMessage]) -> dict[int, str]:
        ticks = list(ticks_with_message_ids(batch))
        refused: dict[int, str] = {}
        for start in range(0, len(ticks), MAX_TICKS_PER_CALL):
            chunk = ticks[start : start + MAX_TICKS_PER_CALL]
            for message_id, reason in await self._deliver(chunk):
                refused.setdefault(message_id, reason)  # a bundle's first refused tick says why
        return refused

    async def _deliver(self, chunk: Sequence[Tick]) -> list[tuple[int, str]]:
        results = await self._calls.batch_results(
            submit_price_tick_batch.asyncio_detailed(
                client=self._calls.client,
                body=PriceTickBatchInput(ticks=[message_to_price_tick(t) for _, t in chunk]),
            ),
            PriceTickBatchResult,
            len(chunk),
        )
        if results is None:
            return await self._one_by_one(chunk)
        return [
            (message_id, refusal("notification refused it", result.problems))
            for (message_id, _), result in zip(chunk, results, strict=True)
            if result.outcome is PriceTickOutcomeOutcome.REFUSED
        ]

    async def _one_by_one(self, chunk: Sequence[Tick]) -> list[tuple[int, str]]:
        refused: list[tuple[int, str]] = []
        for message_id, tick in chunk:
            status = await self._calls.status_of(
                submit_price_tick.asyncio_detailed(
                    client=self._calls.client,
                    # No Idempotency-Key: notification dedupes ticks by sourceId already, and
                    # a key would cost it a stored response per tick.
                    body=message_to_price_tick(tick),
                )
            )
            if 400 <= status < 500:
                refused.append((message_id, f"notification answered {status}"))
            elif status != 200:
                raise DeliveryFailed(CONSUMER, f"answered {status}")
        return refused

    async def aclose(self) -> None:
        await self._calls.aclose()
