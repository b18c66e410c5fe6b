"""Calls to the notification service's internal API for outbox deliveries: one pooled client
(the generated one), and every way a call can fail as `DeliveryFailed`, which the outbox
answers by retrying the batch later. What counts as delivered or refused is each caller's."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import httpx

from generated.rest.notification_client import Client
from generated.rest.notification_client.types import Response
from services.common.addresses import http_target
from services.common.outbox import DeliveryFailed

CONSUMER = "notification"
# The most items of each batch operation (the contract's maxItems; a test keeps them equal).
MAX_EVENTS_PER_CALL = 500  # NotificationEventBatchInput.events
MAX_TICKS_PER_CALL = 1000  # PriceTickBatchInput.ticks


def refusal(reason: str, problems: object) -> str:
    """Why notification refused one item of a batch, with the problems it named, bounded as
    the outbox keeps a message's last error."""
    details = problems if isinstance(problems, list) else []
    return "; ".join([reason, *map(str, details)])[:500]


class NotificationCalls:
    def __init__(self, address: str, timeout_seconds: float) -> None:
        notification = http_target(address)
        self.client = Client(
            base_url=notification.url,
            timeout=httpx.Timeout(timeout_seconds),
            raise_on_unexpected_status=False,
            httpx_args=notification.httpx_args(),
        )

    async def status_of(self, call: Awaitable[Response[Any]]) -> int:
        """The call's HTTP status; DeliveryFailed when there is no answer within the contract."""
        return int((await self.response_of(call)).status_code)

    async def response_of(self, call: Awaitable[Response[Any]]) -> Response[Any]:
        """The call's answer, parsed; DeliveryFailed when there is none within the contract."""
        try:
            return await call
        except httpx.TimeoutException as error:
            raise DeliveryFailed(CONSUMER, "timed out") from error
        except httpx.TransportError as error:
            raise DeliveryFailed(CONSUMER, f"{type(error).__name__}: {error}") from error
        except (KeyError, ValueError, TypeError) as error:  # a body outside the contract
            raise DeliveryFailed(CONSUMER, "answered outside its contract") from error

    async def batch_results(
        self, call: Awaitable[Response[Any]], result_type: type[Any], sent: int
    ) -> list[Any] | None:
        """A batch operation's results, one per item sent, in order; None when notification
        refused the batch as a whole (400: outside its contract, e.g. a newer caller), for the
        caller to send the items one at a time. DeliveryFailed for any other answer."""
        response = await self.response_of(call)
        if response.status_code == 400:
            return None
        answer = response.parsed
        if response.status_code != 200 or not isinstance(answer, result_type):
            raise DeliveryFailed(CONSUMER, f"answered {int(response.status_code)}")
        if len(answer.results) != sent:
            raise DeliveryFailed(CONSUMER, "answered outside its contract (a result per item)")
        return list(answer.results)

    async def aclose(self) -> None:
        await self.client.get_async_httpx_client().aclose()
