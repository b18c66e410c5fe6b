"""Publishers' delivery of users' events to a real notification app (uvicorn on a socket,
in-memory stores): up to 500 events a call, duplicates are success, a conflicting or refused
event is reported by message id while the others are delivered, and a batch notification's
contract refuses is sent again one event at a time. (Each outcome on its own:
tests/unit/test_notification_rest.py.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from services.common.notification_events import MAX_EVENTS_PER_CALL, NotificationEventDelivery
from services.common.outbox import DeliveryFailed, OutboxMessage
from tests.support.notification_peer import Calls, running_notification
from tests.support.unix_sockets import socket_dir
from tests.unit.notification_fakes import FakeDatabase

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 1, tzinfo=UTC)
BATCHES = "/internal/notification-events/batches"


@pytest.fixture
async def notification() -> AsyncIterator[tuple[FakeDatabase, Calls, str]]:
    async with running_notification("nft") as peer:
        yield peer


def message(number: int, *, name: str = "Ape") -> OutboxMessage:
    payload: dict[str, Any] = {
        "eventId": str(UUID(int=number)),
        "type": "nft.minted",
        "userId": str(UUID(int=10_000 + number)),
        "occurredAt": "2026-01-01T00:00:00Z",
        "data": {"nftId": str(UUID(int=20_000 + number)), "nftName": name},
    }
    return OutboxMessage(number, "nft.events", payload, T0, 0, T0)


async def delivered(address: str, batch: list[OutboxMessage]) -> dict[int, str]:
    deliver = NotificationEventDelivery(address, 5.0)
    try:
        return await deliver(batch)
    finally:
        await deliver.aclose()


def names(db: FakeDatabase) -> list[str]:
    return sorted(str(n.event.data["nftName"]) for n in db.store.notifications.values())


async def test_a_batch_is_one_call_and_a_redelivery_changes_nothing(notification):
    db, calls, address = notification
    batch = [message(n, name=f"Ape {n}") for n in range(1, 4)]
    assert await delivered(address, batch) == {}
    assert await delivered(address, batch) == {}  # the relay died before deleting them
    assert calls.paths == [BATCHES, BATCHES]
    assert names(db) == ["Ape 1", "Ape 2", "Ape 3"]


async def test_a_conflicting_event_is_named_and_the_others_delivered(notification):
    db, _, address = notification
    assert await delivered(address, [message(2)]) == {}
    batch = [message(1), message(2, name="Another body"), message(3)]
    refused = await delivered(address, batch)
    assert list(refused) == [2] and "conflict" in refused[2]
    assert names(db) == ["Ape", "Ape", "Ape"]  # 2 as first delivered, 1 and 3 new


async def test_more_than_one_call_holds_is_sent_in_order_in_several(notification):
    db, calls, address = notification
    count = MAX_EVENTS_PER_CALL + 1
    assert await delivered(address, [message(n) for n in range(1, count + 1)]) == {}
    assert calls.paths == [BATCHES, BATCHES]
    assert len(db.store.notifications) == count


async def test_a_batch_outside_the_contract_is_sent_again_event_by_event(notification):
    db, calls, address = notification
    bad = message(2)
    bad.payload["data"]["nftName"] = "x" * 10_000  # beyond the contract's maxLength
    refused = await delivered(address, [message(1), bad, message(3)])
    assert refused == {2: "notification answered 400"}
    assert calls.paths == [BATCHES] + ["/internal/notification-events"] * 3
    assert len(db.store.notifications) == 2


async def test_no_notification_fails_the_batch_for_the_outbox_to_retry():
    with socket_dir() as sockets, pytest.raises(DeliveryFailed):
        await delivered(f"unix:{sockets / 'nobody.sock'}", [message(1)])
