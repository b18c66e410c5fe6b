"""The analytics REST API on fakes: contract shapes, ordering, and the 404/400 problems."""

from __future__ import annotations

import pytest

from services.analytics.bootstrap import bootstrap, build_deps
from services.analytics.config import AnalyticsSettings
from services.analytics.domain.model import MarketTick
from services.analytics.service_layer import use_cases
from tests.support.asgi import asgi_client
from tests.support.clock import FakeClock
from tests.unit.analytics_fakes import AFTER_THE_TICKS, NOON, InMemoryTickRepository

pytestmark = pytest.mark.unit

PROBLEM = "application/problem+json"


@pytest.fixture
def deps():
    return build_deps(InMemoryTickRepository(), clock=FakeClock(AFTER_THE_TICKS))


@pytest.fixture
async def client(deps):
    app = bootstrap(AnalyticsSettings(validate_responses=True), deps=deps)
    async with asgi_client(app, lifespan=False) as client:
        yield client


async def record(deps, symbol: str, price: float, timestamp: int, quantity: float = 0.0) -> None:
    await use_cases.record_tick(deps, MarketTick(symbol, price, timestamp, quantity=quantity))
    deps.clock.advance()


MINUTE = 60_000


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


async def test_candles_of_an_asset_newest_first(client, deps):
    await record(deps, "BTC", 100.0, NOON + 1_000, quantity=0.5)
    await record(deps, "BTC", 90.0, NOON + 59_999)
    await record(deps, "BTC", 120.0, NOON + MINUTE, quantity=1.5)
    await record(deps, "BTC", 80.0, NOON + 30_000, quantity=1.0)
    response = await client.get("/api/analytics/assets/BTC/candles", params={"interval": "1m"})
    assert response.status_code == 200
    assert response.json() == [
        {
            "start": "2026-03-01T12:01:00Z",
            "open": 120.0,
            "high": 120.0,
            "low": 120.0,
            "close": 120.0,
            "volume": 1.5,
            "trades": 1,
            "ticks": 1,
        },
        {
            "start": "2026-03-01T12:00:00Z",
            "open": 100.0,
            "high": 100.0,
            "low": 80.0,
            "close": 90.0,
            "volume": 1.5,
            "trades": 2,
            "ticks": 3,
        },
    ]


async def test_candles_page_back_with_the_oldest_start_as_before(client, deps):
    for i in range(5):
        await record(deps, "ETH", float(i + 1), NOON + i * 5 * MINUTE)
    path = "/api/analytics/assets/ETH/candles"
    first = await client.get(path, params={"interval": "5m", "limit": 2})
    assert [c["close"] for c in first.json()] == [5.0, 4.0]
    before = first.json()[-1]["start"]
    second = await client.get(path, params={"interval": "5m", "limit": 2, "before": before})
    assert [c["close"] for c in second.json()] == [3.0, 2.0]
    # Any RFC 3339 offset: 17:35+05:30 is 12:05Z, so only the 12:00 candle started before it.
    offset = await client.get(
        path, params={"interval": "5m", "before": "2026-03-01T17:35:00+05:30"}
    )
    assert [c["start"] for c in offset.json()] == ["2026-03-01T12:00:00Z"]
    # Before anything was received: an empty page, not an error (nor an overflow).
    early = await client.get(path, params={"interval": "1h", "before": "0001-01-01T00:00:00+23:59"})
    assert (early.status_code, early.json()) == (200, [])


async def test_volume_and_vwap_of_the_last_day(client, deps):
    await record(deps, "BTC", 100.0, NOON - 86_400_000, quantity=50.0)  # exactly a day: out
    await record(deps, "BTC", 100.0, NOON - 1_000, quantity=1.0)
    await record(deps, "BTC", 110.0, NOON, quantity=3.0)
    await record(deps, "BTC", 999.0, NOON - 10)  # a quote
    response = await client.get("/api/analytics/assets/BTC/volume")
    assert response.status_code == 200
    assert response.json() == {
        "assetSymbol": "BTC",
        "windowStart": "2026-02-28T12:00:00Z",
        "windowEnd": "2026-03-01T12:00:00Z",
        "ticks24h": 3,
        "trades24h": 2,
        "volume24h": 4.0,
        "vwap24h": 107.5,
    }


async def test_without_trades_the_vwap_is_null(client, deps):
    await record(deps, "SOL", 2.0, NOON + 123)
    response = await client.get("/api/analytics/assets/SOL/volume")
    assert response.status_code == 200
    body = response.json()
    assert (body["vwap24h"], body["volume24h"], body["trades24h"]) == (None, 0.0, 0)
    assert body["windowEnd"] == "2026-03-01T12:00:00.123000Z"


@pytest.mark.parametrize(
    "path",
    [
        "/api/analytics/assets/DOGE/stats",
        "/api/analytics/assets/DOGE/price",
        "/api/analytics/assets/DOGE/volume",
        "/api/analytics/assets/DOGE/candles?interval=1m",
    ],
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
        "/api/analytics/assets/BTC/candles",  # the interval is required
        "/api/analytics/assets/BTC/candles?interval=2m",
        "/api/analytics/assets/BTC/candles?interval=1m&limit=0",
        "/api/analytics/assets/BTC/candles?interval=1m&limit=501",
        "/api/analytics/assets/BTC/candles?interval=1m&before=2026-03-01",
        "/api/analytics/assets/BTC/candles?interval=1m&before=2026-03-01T12:00:00",
        "/api/analytics/assets/BTC/candles?interval=1m&before=1772366400000",
        "/api/analytics/assets/btc/volume",
    ],
)
async def test_requests_outside_the_contract_are_400_problems(client, path):
    response = await client.get(path)
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM


async def test_health_and_docs_are_served(client):
    assert (await client.get("/healthz")).json() == {"status": "ok", "service": "analytics"}
    assert (await client.get("/api/analytics/openapi.json")).status_code == 200
