"""The trading REST API on fakes: 201 with the tick, contract 400s, and analytics failures
as 502/503/504 problems that keep nothing."""

from __future__ import annotations

from uuid import uuid4

import pytest

from services.trading.bootstrap import bootstrap, build_deps
from services.trading.config import TradingSettings
from services.trading.domain.errors import (
    AnalyticsBadResponse,
    AnalyticsRejected,
    AnalyticsTimeout,
    AnalyticsUnavailable,
)
from tests.support.asgi import asgi_client
from tests.support.clock import FakeClock
from tests.support.tokens import bearer, jwks_url
from tests.unit.trading_fakes import FakeAnalytics, InMemoryTickRepository

pytestmark = pytest.mark.unit

PROBLEM = "application/problem+json"
URL = "/api/trading/market-data"
TICK = {"assetSymbol": "BTC", "price": 100.5, "timestamp": 1_700_000_000_000}


@pytest.fixture
def repo() -> InMemoryTickRepository:
    return InMemoryTickRepository()


@pytest.fixture
def analytics(repo) -> FakeAnalytics:
    return FakeAnalytics(repo)


@pytest.fixture
async def client(repo, analytics):
    deps = build_deps(repo, analytics, clock=FakeClock())
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


async def test_a_submitted_tick_is_201_with_its_id_and_arrival(client, analytics):
    response = await client.post(URL, json=TICK)
    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in TICK} == TICK
    assert body["receivedAt"] == "2026-01-01T00:00:00Z"
    assert str(analytics.delivered[0].id) == body["id"]


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
async def test_ticks_outside_the_rules_are_400_and_go_nowhere(client, repo, analytics, body):
    response = await client.post(URL, json=body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM
    assert repo.ticks == {} and analytics.stored_when_sent == []


@pytest.mark.parametrize(
    ("failure", "status"),
    [
        (AnalyticsUnavailable("ConnectionRefusedError: ('127.0.0.1', 50051)"), 503),
        (AnalyticsTimeout(2.0), 504),
        (AnalyticsRejected("price must be > 0"), 502),
        (AnalyticsBadResponse("INTERNAL", "INTERNAL: boom"), 502),
    ],
    ids=["unavailable", "timeout", "rejected", "bad response"],
)
async def test_analytics_failures_are_problems_and_keep_nothing(
    client, repo, analytics, failure, status
):
    analytics.failure = failure
    response = await client.post(URL, json=TICK)
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["detail"] == str(failure)
    assert "127.0.0.1" not in response.text
    if status in (503, 504):
        assert response.headers["retry-after"] == "1"
    assert repo.ticks == {}
    assert (await client.get(f"{URL}/BTC")).json() == []


async def test_health_does_not_depend_on_analytics(client, analytics):
    analytics.failure = AnalyticsUnavailable("refused")
    assert (await client.get("/healthz")).json() == {"status": "ok", "service": "trading"}


async def test_405_lists_the_methods_the_contract_declares(client):
    response = await client.delete(URL)
    assert (response.status_code, response.headers["allow"]) == (405, "POST")


async def test_a_trade_carries_its_quantity_to_analytics(client, analytics):
    response = await client.post(URL, json={**TICK, "quantity": 2.5})
    assert (response.status_code, response.json()["quantity"]) == (201, 2.5)
    assert analytics.delivered[-1].quantity == 2.5


@pytest.mark.parametrize("quantity", [-1, 1e16, "1"])
async def test_a_bad_quantity_is_400(client, quantity):
    response = await client.post(URL, json={**TICK, "quantity": quantity})
    assert response.status_code == 400
