"""The notification REST API on fakes: contract validation, real RS256 tokens, per-user
isolation and the error mapping."""

import json
from uuid import uuid4

import pytest

from services.common.workload_identity import XFCC_HEADER as XFCC
from services.notification.bootstrap import bootstrap, build_deps
from services.notification.config import NotificationSettings
from tests.support.asgi import asgi_client
from tests.support.callers import called_by
from tests.support.forgeries import forged_tokens
from tests.support.tokens import bearer, jwks_url
from tests.unit.notification_fakes import FakeDatabase

pytestmark = pytest.mark.unit

ALICE, BOB = uuid4(), uuid4()
PROBLEM = "application/problem+json"
EVENTS, TICKS = "/internal/notification-events", "/internal/price-ticks"
ALERTS = "/api/notifications/alerts"
SOME_ID = "6f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f"  # fixed: test ids must not vary per worker


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
async def client(db):
    """Called as trading's requests arrive through notification's sidecar: trading may post
    both kinds of internal message; public operations take no notice of the caller."""
    settings = NotificationSettings(validate_responses=True, jwks_url=jwks_url())
    app = bootstrap(settings, deps=build_deps(db.notifications, db.alerts, db.prices))
    async with asgi_client(app, headers=called_by("trading")) as client:
        yield client


@pytest.mark.parametrize(
    ("caller", "path", "allowed"),
    [
        ("nft", EVENTS, True),
        ("nft", TICKS, False),
        ("user", EVENTS, False),
        ("analytics", TICKS, False),
        ("edge", EVENTS, False),
        ("", EVENTS, False),
        ("", TICKS, False),
    ],
)
async def test_internal_messages_come_only_from_their_declared_callers(
    client, caller, path, allowed
):
    """x-callers: events from nft and trading, price ticks from trading only."""
    tick = {"assetSymbol": "ETH-USD", "price": 1, "timestamp": 1}
    body, accepted = (an_event(), 201) if path == EVENTS else (tick, 200)
    header = called_by(caller)[XFCC] if caller else ""
    response = await client.post(path, json=body, headers={XFCC: header})
    if allowed:
        assert response.status_code == accepted, response.text
    else:
        assert (response.status_code, response.headers["content-type"]) == (403, PROBLEM)


async def test_a_batch_of_events_gets_one_outcome_each_in_order(client):
    first, again = an_event(), an_event(BOB)
    assert (await client.post(EVENTS, json=again)).status_code == 201
    conflicting = {**an_event(), "eventId": again["eventId"], "userId": str(BOB)}
    body = {"events": [first, conflicting, again]}
    response = await client.post(f"{EVENTS}/batches", json=body)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["outcome"] for r in results] == ["delivered", "conflict", "duplicate"]
    assert "notificationId" not in results[1]
    mine = (await client.get("/api/notifications", headers=bearer(ALICE))).json()
    assert [n["id"] for n in mine] == [results[0]["notificationId"]]


A_TICK = {"assetSymbol": "ETH-USD", "price": 1, "timestamp": 1}


@pytest.mark.parametrize(
    ("path", "caller"),
    [
        *((f"{EVENTS}/batches", c) for c in ("user", "analytics", "edge", "")),
        *((f"{TICKS}/batches", c) for c in ("nft", "user", "edge", "")),
    ],
)
async def test_batches_come_only_from_their_declared_callers(client, path, caller):
    """x-callers: event batches from nft and trading, price-tick batches from trading only."""
    body = {"events": [an_event()]} if path.startswith(EVENTS) else {"ticks": [A_TICK]}
    headers = {XFCC: called_by(caller)[XFCC] if caller else ""}
    response = await client.post(path, json=body, headers=headers)
    assert (response.status_code, response.headers["content-type"]) == (403, PROBLEM)


@pytest.mark.parametrize(
    ("path", "count"),
    [(f"{EVENTS}/batches", 501), (f"{EVENTS}/batches", 0), (f"{TICKS}/batches", 1001)],
    ids=["501 events", "no events", "1,001 ticks"],
)
async def test_a_batch_beyond_its_bounds_is_400_and_not_echoed(client, db, path, count):
    if path.startswith(EVENTS):
        body = {"events": [an_event() for _ in range(count)]}
    else:
        body = {"ticks": [A_TICK] * count}
    response = await client.post(path, json=body)
    assert (response.status_code, response.headers["content-type"]) == (400, PROBLEM)
    assert len(response.content) < 2_000  # a bounded answer, not the batch back
    assert db.store.notifications == {} and db.store.prices == {}


def an_event(user=ALICE, **changes):
    return {
        "eventId": str(uuid4()),
        "type": "nft.minted",
        "userId": str(user),
        "occurredAt": "2026-03-01T12:00:00Z",
        "data": {"nftId": str(uuid4()), "nftName": "Ape #1"},
        **changes,
    }


async def publish(client, event, status=201):
    response = await client.post(EVENTS, json=event)
    assert response.status_code == status, response.text
    return response.json()


async def listed(client, user=ALICE, **params):
    response = await client.get("/api/notifications", params=params, headers=bearer(user))
    assert response.status_code == 200, response.text
    return response.json()


# --- events in -----------------------------------------------------------------------------


async def test_an_event_becomes_a_notification_once(client):
    event = an_event()
    first = await publish(client, event)
    assert (first["eventId"], first["userId"], first["type"]) == (
        event["eventId"],
        str(ALICE),
        "nft.minted",
    )
    assert (first["data"], first["read"], first["readAt"]) == (event["data"], False, None)
    assert first["occurredAt"] == "2026-03-01T12:00:00Z"
    assert await publish(client, event, status=200) == first
    # The same instant written with another offset is the same event.
    assert await publish(client, {**event, "occurredAt": "2026-03-01T14:00:00+02:00"}, 200)
    assert await listed(client) == [first]


@pytest.mark.parametrize(
    "change",
    [{"type": "sale.completed"}, {"data": {}}, {"occurredAt": "2026-03-01T12:00:01Z"}],
)
async def test_the_same_event_id_with_another_body_is_409(client, change):
    event = an_event()
    await publish(client, event)
    response = await client.post(EVENTS, json={**event, **change})
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    assert len(await listed(client)) == 1


async def test_one_event_id_can_reach_several_users(client):
    event = an_event(type="nft.transferred")
    await publish(client, event)
    await publish(client, {**event, "userId": str(BOB)})
    assert len(await listed(client, ALICE)) == len(await listed(client, BOB)) == 1


async def test_occurred_at_keeps_the_publishers_offset_even_at_the_calendars_edge(client):
    note = await publish(client, an_event(occurredAt="0001-01-01T00:00:00+05:00"))
    assert note["occurredAt"] == "0001-01-01T00:00:00+05:00"
    note = await publish(client, an_event(occurredAt="2026-03-01t12:00:00.5z"))
    assert note["occurredAt"] == "2026-03-01T12:00:00.500000Z"


@pytest.mark.parametrize(
    "body",
    [
        {},
        an_event(type="nft.burned"),
        an_event(userId="alice"),
        an_event(eventId=None),
        an_event(occurredAt="yesterday"),
        an_event(occurredAt="2026-03-01T23:59:60Z"),  # a leap second: RFC 3339, not storable
        an_event(data={"nftId": "x"}),
        an_event(data={"comment": "an unknown field"}),
        an_event(data={"price": -1}),
        an_event(data={"nftName": "x" * 129}),
        an_event(extra=1),
    ],
    ids=[
        "empty",
        "unknown type",
        "user not a uuid",
        "null event id",
        "not a date",
        "leap second",
        "nft id not a uuid",
        "unknown data field",
        "negative price",
        "name too long",
        "extra field",
    ],
)
async def test_bad_events_are_400(client, body):
    response = await client.post(EVENTS, json=body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM


async def test_non_finite_numbers_are_400_not_500(client):
    # json.dumps writes NaN as Python's json module reads it: not JSON, yet parsed.
    body = json.dumps(an_event(type="sale.completed", data={"price": float("nan")}))
    response = await client.post(
        EVENTS, content=body.encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    tick = '{"assetSymbol": "BTC", "price": Infinity, "timestamp": 1}'
    response = await client.post(
        TICKS, content=tick.encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400


# --- reading and acknowledging -------------------------------------------------------------


async def test_listing_is_per_user_newest_first_paginated_and_filters_unread(client):
    ids = [(await publish(client, an_event()))["id"] for _ in range(3)]
    await publish(client, an_event(BOB))
    assert [n["id"] for n in await listed(client)] == ids[::-1]
    assert [n["id"] for n in await listed(client, limit=1, offset=1)] == [ids[1]]
    ack = await client.post(f"/api/notifications/{ids[2]}/ack", headers=bearer(ALICE))
    assert ack.status_code == 200
    assert [n["id"] for n in await listed(client, unread="true")] == ids[1::-1]
    assert len(await listed(client, unread="false")) == 3


async def test_acknowledging_is_idempotent(client):
    note = await publish(client, an_event())
    url = f"/api/notifications/{note['id']}/ack"
    first = await client.post(url, headers=bearer(ALICE))
    assert first.status_code == 200
    assert first.json()["read"] is True and first.json()["readAt"]
    again = await client.post(url, headers=bearer(ALICE))
    assert again.status_code == 200
    assert again.json() == first.json()


async def test_another_users_notification_is_not_found_and_stays_unread(client):
    note = await publish(client, an_event(ALICE))
    response = await client.post(f"/api/notifications/{note['id']}/ack", headers=bearer(BOB))
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    # The same answer as for an id that never existed: nothing tells that it is someone's.
    assert response.json()["detail"] == f"notification {note['id']} does not exist"
    assert await listed(client, BOB) == []
    assert (await listed(client, ALICE))[0]["read"] is False


async def test_unknown_and_malformed_ids(client):
    unknown = await client.post(f"/api/notifications/{uuid4()}/ack", headers=bearer(ALICE))
    assert unknown.status_code == 404
    malformed = await client.post("/api/notifications/nope/ack", headers=bearer(ALICE))
    assert malformed.status_code == 400
    gone = await client.delete(f"{ALERTS}/{uuid4()}", headers=bearer(ALICE))
    assert gone.status_code == 404


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"offset": -1}, {"x": 1}])
async def test_bad_pages_are_400(client, params):
    response = await client.get("/api/notifications", params=params, headers=bearer(ALICE))
    assert response.status_code == 400


FORGED = forged_tokens(ALICE)


@pytest.mark.parametrize("case", ["no token", *sorted(FORGED)])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/notifications"),
        ("POST", f"/api/notifications/{SOME_ID}/ack"),
        ("GET", ALERTS),
        ("POST", ALERTS),
        ("DELETE", f"{ALERTS}/{SOME_ID}"),
    ],
)
async def test_user_operations_need_a_valid_token(client, case, method, path):
    headers = {"Authorization": f"Bearer {FORGED[case]}"} if case in FORGED else {}
    body = {"assetSymbol": "BTC", "direction": "above", "threshold": 1}
    response = await client.request(
        method, path, headers=headers, json=body if method == "POST" else None
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM


# --- alerts and ticks ----------------------------------------------------------------------


async def create_alert(client, user=ALICE, **body):
    body = {"assetSymbol": "ETH-USD", "direction": "above", "threshold": 100, **body}
    response = await client.post(ALERTS, json=body, headers=bearer(user))
    assert response.status_code == 201, response.text
    return response.json()


async def send_tick(client, price, timestamp, **extra):
    body = {"assetSymbol": "ETH-USD", "price": price, "timestamp": timestamp, **extra}
    response = await client.post(TICKS, json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def test_an_alert_fires_on_a_crossing_once(client):
    alert = await create_alert(client)
    assert (alert["status"], alert["firedAt"], alert["firedPrice"]) == ("armed", None, None)
    assert (alert["threshold"], alert["direction"]) == (100, "above")
    first = await send_tick(client, 90, 1_000)
    assert (first["outcome"], first["previousPrice"], first["alertsFired"]) == ("applied", None, 0)
    crossing = await send_tick(client, 100.5, 2_000, sourceId="t-2")
    assert crossing == {
        "assetSymbol": "ETH-USD",
        "price": 100.5,
        "timestamp": 2_000,
        "sourceId": "t-2",
        "outcome": "applied",
        "previousPrice": 90,
        "alertsFired": 1,
    }
    retried = await send_tick(client, 100.5, 2_000, sourceId="t-2")
    assert (retried["outcome"], retried["alertsFired"]) == ("duplicate", 0)
    stale = await send_tick(client, 50, 1_500)
    assert (stale["outcome"], stale["alertsFired"]) == ("stale", 0)
    (note,) = await listed(client)
    assert note["type"] == "price.alert"
    assert note["occurredAt"] == "1970-01-01T00:00:02Z"
    assert note["data"] == {
        "alertId": alert["id"],
        "assetSymbol": "ETH-USD",
        "direction": "above",
        "threshold": 100,
        "price": 100.5,
        "previousPrice": 90,
    }
    (fired,) = (await client.get(ALERTS, headers=bearer(ALICE))).json()
    assert (fired["status"], fired["firedPrice"]) == ("fired", 100.5)


async def test_alerts_are_private_to_their_owner(client):
    alert = await create_alert(client, ALICE)
    assert (await client.get(ALERTS, headers=bearer(BOB))).json() == []
    by_bob = await client.delete(f"{ALERTS}/{alert['id']}", headers=bearer(BOB))
    assert by_bob.status_code == 404
    assert by_bob.json()["detail"] == f"price alert {alert['id']} does not exist"
    by_alice = await client.delete(f"{ALERTS}/{alert['id']}", headers=bearer(ALICE))
    assert by_alice.status_code == 204
    assert by_alice.content == b""
    assert (await client.get(ALERTS, headers=bearer(ALICE))).json() == []


@pytest.mark.parametrize(
    "body",
    [
        {"assetSymbol": "eth", "direction": "above", "threshold": 1},
        {"assetSymbol": "BTC\n", "direction": "above", "threshold": 1},
        {"assetSymbol": "BTC", "direction": "sideways", "threshold": 1},
        {"assetSymbol": "BTC", "direction": "above", "threshold": 0},
        {"assetSymbol": "BTC", "direction": "above", "threshold": 1e13},
        {"assetSymbol": "BTC", "direction": "above"},
        {"assetSymbol": "BTC", "direction": "above", "threshold": 1, "userId": str(BOB)},
    ],
    ids=["lower case", "trailing newline", "direction", "zero", "too high", "missing", "extra"],
)
async def test_bad_alerts_are_400(client, body):
    response = await client.post(ALERTS, json=body, headers=bearer(ALICE))
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(
    "body",
    [
        {"assetSymbol": "BTC", "price": 0, "timestamp": 1},
        {"assetSymbol": "BTC", "price": 1, "timestamp": -1},
        {"assetSymbol": "BTC", "price": 1, "timestamp": 1.5},
        {"assetSymbol": "BTC", "price": 1, "timestamp": 1, "sourceId": ""},
        {"assetSymbol": "BTC\n", "price": 1, "timestamp": 1},
        {"assetSymbol": "BTC", "price": 1},
    ],
)
async def test_bad_ticks_are_400(client, body):
    response = await client.post(TICKS, json=body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM


async def test_a_tick_from_the_future_is_422(client):
    response = await client.post(
        TICKS, json={"assetSymbol": "BTC", "price": 1, "timestamp": 4_102_444_800_000}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert "ahead of this server's clock" in response.json()["detail"]


async def test_posts_honour_an_idempotency_key(client):
    headers = {**bearer(ALICE), "Idempotency-Key": "k-1"}
    body = {"assetSymbol": "BTC", "direction": "below", "threshold": 5}
    first = await client.post(ALERTS, json=body, headers=headers)
    assert first.status_code == 201
    replayed = await client.post(ALERTS, json=body, headers=headers)
    assert (replayed.status_code, replayed.json()) == (201, first.json())
    assert len((await client.get(ALERTS, headers=bearer(ALICE))).json()) == 1
    reused = await client.post(ALERTS, json={**body, "threshold": 6}, headers=headers)
    assert reused.status_code == 422
    too_long = {**headers, "Idempotency-Key": "k" * 256}
    assert (await client.post(ALERTS, json=body, headers=too_long)).status_code == 400


async def test_405_lists_the_methods_the_contract_declares(client):
    response = await client.get(EVENTS)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    response = await client.put(ALERTS, headers=bearer(ALICE))
    assert response.headers["allow"] == "GET, HEAD, POST"


async def test_health_and_docs_are_served(client):
    assert (await client.get("/healthz")).json() == {"status": "ok", "service": "notification"}
    assert (await client.get("/api/notifications/openapi.json")).status_code == 200
    assert (await client.get("/api/notifications/ui/")).status_code == 200
