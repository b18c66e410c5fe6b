"""The notification-event delivery adapter (nft's events, trading's sales): which of
notification's answers to a batch fail it (retried, never parked), and what is refused before
any call. Outcomes per event against a real notification app:
tests/integration/test_notification_event_batches.py."""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import httpx
import pytest

from generated.rest.notification_client.models import (
    NotificationEventBatchResult,
    NotificationEventOutcome,
    NotificationEventOutcomeOutcome,
)
from generated.rest.notification_client.types import Response
from services.common import notification_events
from services.common.contracts import load_contract
from services.common.notification_calls import MAX_EVENTS_PER_CALL, MAX_TICKS_PER_CALL, refusal
from services.common.notification_events import NotificationEventDelivery
from services.common.outbox import DeliveryFailed, OutboxMessage

pytestmark = pytest.mark.unit

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def event(user: str) -> dict[str, Any]:
    return {
        "eventId": "5a0f1e2d-3c4b-4a59-8e7f-6a5b4c3d2e1f",
        "type": "nft.minted",
        "userId": user,
        "occurredAt": "2026-01-01T00:00:00Z",
        "data": {"nftId": "7c2e4a6b-8d0f-4e1a-9b3c-5d7e9f1a3b5c", "nftName": "Ape"},
    }


USERS = [f"00000000-0000-4000-8000-00000000000{n}" for n in range(1, 4)]
BATCH = [OutboxMessage(n, "nft.events", event(u), T0, 0, T0) for n, u in enumerate(USERS, 1)]


class Notification:
    """Answers each call with the next status (or raises it), recording what was sent."""

    def __init__(self, *answers: int | Exception | Response[Any]) -> None:
        self.answers = list(answers)
        self.sent: list[dict[str, Any]] = []

    async def __call__(self, *, client, body, **_: Any) -> Response[None]:
        self.sent.extend(body.to_dict()["events"])
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, Response):
            return answer
        return Response(status_code=HTTPStatus(answer), content=b"", headers={}, parsed=None)


@pytest.fixture
async def deliver():
    delivery = NotificationEventDelivery("127.0.0.1:9", 1.0)
    yield delivery
    await delivery.aclose()


def answering(monkeypatch, *answers: int | Exception) -> Notification:
    fake = Notification(*answers)
    batches = notification_events.publish_notification_event_batch
    monkeypatch.setattr(batches, "asyncio_detailed", fake)
    return fake


@pytest.mark.parametrize("status", [404, 415, 422, 429, 500, 503])
async def test_answers_other_than_results_fail_the_batch_to_be_retried(
    deliver, monkeypatch, status
):
    fake = answering(monkeypatch, status)
    with pytest.raises(DeliveryFailed, match=str(status)):
        await deliver(BATCH)
    assert [s["userId"] for s in fake.sent] == USERS  # one call, in order


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (httpx.ReadTimeout("slow"), "timed out"),
        (httpx.ConnectError("refused"), "ConnectError"),
        (ValueError("not JSON"), "outside its contract"),
    ],
)
async def test_transport_trouble_fails_the_batch(deliver, monkeypatch, error, reason):
    answering(monkeypatch, error)
    with pytest.raises(DeliveryFailed, match=reason):
        await deliver(BATCH)


async def test_a_payload_that_is_no_event_is_refused_without_sending_it(deliver, monkeypatch):
    fake = answering(monkeypatch, 503)
    broken = OutboxMessage(9, "nft.events", {"type": "nft.minted"}, T0, 0, T0)
    with pytest.raises(DeliveryFailed):
        await deliver([broken, BATCH[0]])
    assert [s["userId"] for s in fake.sent] == USERS[:1]


async def test_fewer_results_than_events_sent_fail_the_batch(deliver, monkeypatch):
    one = NotificationEventBatchResult(
        results=[NotificationEventOutcome(outcome=NotificationEventOutcomeOutcome.DELIVERED)]
    )
    answering(monkeypatch, Response(HTTPStatus.OK, b"", {}, one))
    with pytest.raises(DeliveryFailed, match="a result per item"):
        await deliver(BATCH)


async def test_a_batch_of_payloads_that_are_no_events_makes_no_call(deliver, monkeypatch):
    fake = answering(monkeypatch)
    broken = OutboxMessage(9, "nft.events", {"type": "nft.minted"}, T0, 0, T0)
    assert list(await deliver([broken])) == [9] and fake.sent == []


async def test_against_a_real_socket_nobody_listens_on_it_fails_the_batch(deliver):
    with pytest.raises(DeliveryFailed):
        await deliver(BATCH[:1])


def test_the_callers_batch_limits_are_notifications_own():
    # The publishers split their batches by these; a larger call would be refused whole.
    schemas = load_contract("notification")["components"]["schemas"]
    assert schemas["NotificationEventBatchInput"]["properties"]["events"]["maxItems"] == (
        MAX_EVENTS_PER_CALL
    )
    assert schemas["PriceTickBatchInput"]["properties"]["ticks"]["maxItems"] == MAX_TICKS_PER_CALL


def test_a_refusal_names_the_problems_and_is_bounded():
    assert refusal("notification refused it", ["price", "timestamp"]) == (
        "notification refused it; price; timestamp"
    )
    assert refusal("refused", None) == "refused"
    assert len(refusal("refused", ["x" * 400, "y" * 400])) == 500
