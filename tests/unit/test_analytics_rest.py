"""The analytics REST API on fakes: contract shapes, ordering, and the 404/400 problems."""

from __future__ import annotations

import pytest

from services.analytics.bootstrap import bootstrap, build_deps
from services.analytics.config import AnalyticsSettings
from services.analytics.domain.model import MarketTick
from services.analytics.service_layer import use_cases
from tests.support.asgi import asgi_client
from tests.support.clock import FakeClock
from tests.unit.analytics_fakes import InMemoryTickRepository

pytestmark = pytest.mark.unit

PROBLEM = "application/problem+json"


@pytest.fixture
def deps():
    return build_deps(InMemoryTickRepository(), clock=FakeClock())


@pytest.fixture
async def client(deps):
    app = bootstrap(AnalyticsSettings(validate_responses=True), deps=deps)
    async with asgi_client(app, lifespan=False) as client:
        yield client


async def record(deps, symbol: str, price: float, timestamp: int) -> None:
    await use_cases.record_tick(deps, MarketTick(symbol, price, timestamp))


async def test_stats_and_latest_price_of_an_asset(client, deps):
    await record(deps, "BTC", 10.0, 2)
    await record(deps, "BTC", 30.0, 1)
    stats = await client.get("/api/analytics/assets/BTC/stats")
    assert stats.status_code == 200
    assert stats.json() == {
        "assetSymbol": "BTC",
        "count": 2,
        "min": 10.0,
        "max": 30.0,
        "mean": 20.0,
        "last": 10.0,
        "lastTimestamp": 2,
    }
    price = await client.get("/api/analytics/assets/BTC/price")
    assert price.json() == {"assetSymbol": "BTC", "price": 10.0, "timestamp": 2}


async def test_assets_are_listed_by_symbol_with_paging(client, deps):
    for symbol in ["SOL", "ADA", "BTC"]:
        await record(deps, symbol, 1.0, 1)
    listed = await client.get("/api/analytics/assets")
    assert [s["assetSymbol"] for s in listed.json()] == ["ADA", "BTC", "SOL"]
    page = await client.get("/api/analytics/assets", params={"limit": 1, "offset": 1})
    assert [s["assetSymbol"] for s in page.json()] == ["BTC"]


async def test_an_empty_service_lists_nothing(client):
    response = await client.get("/api/analytics/assets")
    assert (response.status_code, response.json()) == (200, [])


@pytest.mark.parametrize(
    "path", ["/api/analytics/assets/DOGE/stats", "/api/analytics/assets/DOGE/price"]
)
async def test_an_unknown_asset_is_a_404_problem(client, path):
    response = await client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert "DOGE" in response.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/analytics/assets/btc/stats",
        "/api/analytics/assets/BTC-ETH-USD/price",
        "/api/analytics/assets?limit=101",
        "/api/analytics/assets?offset=-1",
    ],
)
async def test_requests_outside_the_contract_are_400_problems(client, path):
    response = await client.get(path)
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM


async def test_health_and_docs_are_served(client):
    assert (await client.get("/healthz")).json() == {"status": "ok", "service": "analytics"}
    assert (await client.get("/api/analytics/openapi.json")).status_code == 200
