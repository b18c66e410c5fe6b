"""Delivers outbox batches of ticks to notification: `POST /internal/price-ticks`, one call
per tick in order, through the client generated from notification's contract.

A tick notification refuses as invalid (4xx) is reported back by message id; anything else
that is not a 200 (down, 5xx, timeout) fails the rest of the batch, which the outbox retries
— notification answers a tick it already applied as `duplicate` or `stale`."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from generated.rest.notification_client import Client
from generated.rest.notification_client.api.internal import submit_price_tick
from services.common.addresses import http_url
from services.common.outbox import OutboxMessage
from services.trading.domain.errors import DeliveryFailed
from services.trading.mappers import message_to_price_tick

CONSUMER = "notification"


class NotificationDelivery:
    def __init__(self, address: str, timeout_seconds: float) -> None:
        self._client = Client(
            base_url=http_url(address),
            timeout=httpx.Timeout(timeout_seconds),
            raise_on_unexpected_status=False,
        )

    async def __call__(self, batch: Sequence[OutboxMessage]) -> dict[int, str]:
        refused: dict[int, str] = {}
        for message in batch:
            status = await self._send(message)
            if 400 <= status < 500:
                refused[message.id] = f"notification answered {status}"
            elif status != 200:
                raise DeliveryFailed(CONSUMER, f"answered {status}")
        return refused

    async def _send(self, message: OutboxMessage) -> int:
        try:
            response = await submit_price_tick.asyncio_detailed(
                client=self._client,
                # No Idempotency-Key: notification dedupes ticks by sourceId already, and a
                # key would cost it a stored response per tick.
                body=message_to_price_tick(message.payload),
            )
        except httpx.TimeoutException as error:
            raise DeliveryFailed(CONSUMER, "timed out") from error
        except httpx.TransportError as error:
            raise DeliveryFailed(CONSUMER, f"{type(error).__name__}: {error}") from error
        except (KeyError, ValueError, TypeError) as error:  # a body outside the contract
            raise DeliveryFailed(CONSUMER, "answered outside its contract") from error
        return int(response.status_code)

    async def aclose(self) -> None:
        await self._client.get_async_httpx_client().aclose()
