"""The notification app on its real database (migrated by its own lifespan), with and without
Idempotency-Key: a keyed request runs in one transaction, and a repeated event or a racing
tick inside it must not break that transaction."""

import asyncio
from uuid import uuid4

import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE

from services.notification.bootstrap import bootstrap
from services.notification.config import NotificationSettings
from tests.support.asgi import asgi_client
from tests.support.callers import called_by
from tests.support.tokens import bearer, jwks_url

pytestmark = pytest.mark.integration

ALICE = uuid4()
EVENTS, TICKS = "/internal/notification-events", "/internal/price-ticks"


@pytest.fixture
async def client(database_url):
    EXECUTOR_CACHE.clear()  # Tortoise caches SQL by connection name, whatever the dialect
    settings = NotificationSettings(
        database_url=database_url, validate_responses=True, jwks_url=jwks_url()
    )
    # As trading's requests reach notification through its sidecar (it may post both kinds).
    async with asgi_client(bootstrap(settings), headers=called_by("trading")) as client:
        yield client


def an_event(**changes):
    return {
        "eventId": str(uuid4()),
        "type": "sale.completed",
        "userId": str(ALICE),
        "occurredAt": "2026-03-01T12:00:00+01:00",
        "data": {"saleId": str(uuid4()), "price": 3.5, "currency": "ETH"},
        **changes,
    }


@pytest.mark.parametrize("keyed", [False, True], ids=["plain", "keyed"])
async def test_an_event_published_again_answers_the_stored_notification(client, keyed):
    event = an_event()

    def headers():
        return {"Idempotency-Key": str(uuid4())} if keyed else {}

    first = await client.post(EVENTS, json=event, headers=headers())
    assert first.status_code == 201, first.text
    # Another key: the middleware does not replay, the unique (eventId, userId) decides.
    again = await client.post(EVENTS, json=event, headers=headers())
    assert (again.status_code, again.json()) == (200, first.json())
    conflict = await client.post(EVENTS, json={**event, "type": "nft.minted"}, headers=headers())
    assert conflict.status_code == 409
    listed = await client.get("/api/notifications", headers=bearer(ALICE))
    assert listed.json() == [first.json()]


async def test_racing_copies_of_an_event_deliver_it_once(client):
    event = an_event()
    responses = await asyncio.gather(*(client.post(EVENTS, json=event) for _ in range(6)))
    assert sorted(r.status_code for r in responses) == [200] * 5 + [201]
    assert len({r.json()["id"] for r in responses}) == 1


async def test_a_keyed_tick_fires_its_alert_once(client):
    alert = await client.post(
        "/api/notifications/alerts",
        json={"assetSymbol": "SOL", "direction": "below", "threshold": 20},
        headers=bearer(ALICE),
    )
    assert alert.status_code == 201
    for price, timestamp in ((25, 1), (19.5, 2)):
        tick = {"assetSymbol": "SOL", "price": price, "timestamp": timestamp}
        response = await client.post(TICKS, json=tick, headers={"Idempotency-Key": f"t{timestamp}"})
        assert response.status_code == 200, response.text
    assert response.json()["alertsFired"] == 1
    replayed = await client.post(TICKS, json=tick, headers={"Idempotency-Key": "t2"})
    assert replayed.json() == response.json()
    retried = await client.post(TICKS, json=tick)  # the same tick, no key: a duplicate
    assert (retried.json()["outcome"], retried.json()["alertsFired"]) == ("duplicate", 0)
    notes = (await client.get("/api/notifications", headers=bearer(ALICE))).json()
    assert [n["data"]["alertId"] for n in notes] == [alert.json()["id"]]
