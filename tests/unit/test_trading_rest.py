"""The trading REST API on fakes: 201 with the tick (stored and queued for delivery, whatever
state the consumers are in), contract 400s, Idempotency-Key replays."""

from __future__ import annotations

from uuid import uuid4

import pytest

from services.common.outbox import InMemoryOutboxStore
from services.trading.bootstrap import bootstrap, build_deps
from services.trading.config import TradingSettings
from tests.support.asgi import asgi_client
from tests.support.clock import FakeClock
from tests.support.tokens import bearer, jwks_url
from tests.unit.trading_fakes import InMemoryTickRepository

pytestmark = pytest.mark.unit

PROBLEM = "application/problem+json"
URL = "/api/trading/market-data"
TICK = {"assetSymbol": "BTC", "price": 100.5, "timestamp": 1_700_000_000_000}


@pytest.fixture
def repo() -> InMemoryTickRepository:
    return InMemoryTickRepository()


@pytest.fixture
def outbox() -> InMemoryOutboxStore:
    return InMemoryOutboxStore(FakeClock())


def queued(outbox: InMemoryOutboxStore, topic: str = "analytics.ticks") -> list[dict]:
    return [m.payload for m in outbox.messages.values() if m.topic == topic]


@pytest.fixture
async def client(repo, outbox):
    deps = build_deps(repo, outbox, clock=FakeClock())
    app = bootstrap(TradingSettings(validate_responses=True, jwks_url=jwks_url()), deps=deps)
    async with asgi_client(app) as client:
        client.headers.update(bearer(uuid4(), roles=["Developer"]))  # a price feed publisher
        yield client


@pytest.mark.parametrize(
    ("roles", "status"), [(None, 401), (["User"], 403), (["Moderator"], 403), (["Admin"], 201)]
)
async def test_publishing_prices_needs_the_developer_or_admin_role(client, roles, status):
    headers = bearer(uuid4(), roles=roles) if roles else {"Authorization": ""}
    response = await client.post(URL, json=TICK, headers=headers)
    assert response.status_code == status


async def test_a_submitted_tick_is_201_with_its_id_and_arrival(client, outbox):
    response = await client.post(URL, json=TICK)
    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in TICK} == TICK
    assert body["receivedAt"] == "2026-01-01T00:00:00Z"
    assert [m["id"] for m in queued(outbox)] == [body["id"]]
    assert [m["id"] for m in queued(outbox, "notification.price-ticks")] == [body["id"]]


async def test_an_integer_price_is_accepted(client):
    response = await client.post(URL, json={**TICK, "price": 7})
    assert (response.status_code, response.json()["price"]) == (201, 7.0)


async def test_ticks_of_an_asset_are_listed_newest_first(client):
    for timestamp in (1, 3, 2):
        await client.post(URL, json={**TICK, "timestamp": timestamp})
    await client.post(URL, json={**TICK, "assetSymbol": "ETH"})
    listed = await client.get(f"{URL}/BTC", params={"limit": 2})
    assert [t["timestamp"] for t in listed.json()] == [3, 2]
    assert (await client.get(f"{URL}/DOGE")).json() == []


@pytest.mark.parametrize(
    "body",
    [
        {**TICK, "assetSymbol": "btc"},
        {**TICK, "assetSymbol": "BTC\n"},  # the contract's pattern lets it through; the domain not
        {**TICK, "price": 0},
        {**TICK, "price": 1e13},
        {**TICK, "price": "1"},
        {**TICK, "timestamp": -1},
        {**TICK, "timestamp": 1.5},
        {**TICK, "extra": 1},
        {"assetSymbol": "BTC", "price": 1},
    ],
    ids=[
        "lower case",
        "newline",
        "zero price",
        "price too high",
        "price as text",
        "negative timestamp",
        "fractional timestamp",
        "extra field",
        "no timestamp",
    ],
)
async def test_ticks_outside_the_rules_are_400_and_go_nowhere(client, repo, outbox, body):
    response = await client.post(URL, json=body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM
    assert repo.ticks == {} and outbox.messages == {}


async def test_a_tick_from_the_future_is_422_and_goes_nowhere(client, repo, outbox):
    response = await client.post(URL, json={**TICK, "timestamp": 4_102_444_800_000})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert "ahead of this server's clock" in response.json()["detail"]
    assert repo.ticks == {} and outbox.messages == {}


async def test_a_keyed_retry_replays_and_queues_nothing_twice(client, repo, outbox):
    headers = {"Idempotency-Key": "feed-42"}
    first = await client.post(URL, json=TICK, headers=headers)
    again = await client.post(URL, json=TICK, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert len(repo.ticks) == 1 and len(outbox.messages) == 2


async def test_health_does_not_depend_on_the_consumers(client):
    assert (await client.get("/healthz")).json() == {"status": "ok", "service": "trading"}


async def test_405_lists_the_methods_the_contract_declares(client):
    response = await client.delete(URL)
    assert (response.status_code, response.headers["allow"]) == (405, "POST")


async def test_a_trade_carries_its_quantity_to_analytics(client, outbox):
    response = await client.post(URL, json={**TICK, "quantity": 2.5})
    assert (response.status_code, response.json()["quantity"]) == (201, 2.5)
    assert queued(outbox)[-1]["quantity"] == 2.5


@pytest.mark.parametrize("quantity", [-1, 1e16, "1"])
async def test_a_bad_quantity_is_400(client, quantity):
    response = await client.post(URL, json={**TICK, "quantity": quantity})
    assert response.status_code == 400
