"""The whole platform as real processes on free ports, driven over REST and gRPC."""

from __future__ import annotations

import uuid

import grpc
import httpx
import pytest

from generated.grpc.market import MarketDataRequest, MarketDataResponse
from mesh.direct import NO_SIDECARS
from mesh.processes import AppProcess, app_environment, start_app
from tests.support.mesh import poll
from tests.support.platform import running_services
from tests.support.tokens import bearer, trusting_env

pytestmark = pytest.mark.e2e

# Publishing prices needs the Developer (or Admin) role.
PUBLISHER = bearer(uuid.uuid4(), roles=["Developer"])

ACCOUNT = {"username": "e2e-alice", "email": "alice@e2e.example", "password": "e2e-secret-1"}


@pytest.fixture(scope="module")
def platform(tmp_path_factory) -> dict[str, AppProcess]:
    with running_services(tmp_path_factory.mktemp("platform")) as services:
        yield services


@pytest.fixture(scope="module")
def alice(platform) -> dict[str, str]:
    users = platform["user"].url
    registered = httpx.post(f"{users}/api/users", json=ACCOUNT)
    assert registered.status_code == 201, registered.text
    login = httpx.post(
        f"{users}/api/users/login",
        json={"username": ACCOUNT["username"], "password": ACCOUNT["password"]},
    )
    assert login.status_code == 200, login.text
    assert login.json()["expiresIn"] > 0
    return {"id": registered.json()["id"], "token": login.json()["accessToken"]}


def test_register_login_mint_and_list_through_the_user_service(platform, alice):
    auth = {"Authorization": f"Bearer {alice['token']}"}
    minted = httpx.post(
        f"{platform['nft'].url}/api/nfts",
        json={"name": "Genesis", "metadata": {"image": "https://img.example/g.png"}},
        headers=auth,
    )
    assert minted.status_code == 201, minted.text

    mine = httpx.get(f"{platform['user'].url}/api/users/me/nfts", headers=auth)
    assert mine.status_code == 200, mine.text
    assert [n["id"] for n in mine.json()] == [minted.json()["id"]]

    # The seed's own REST call, unchanged but for the address.
    seed_call = httpx.get(f"{platform['nft'].url}/api/nfts/user/{alice['id']}")
    assert [n["id"] for n in seed_call.json()] == [minted.json()["id"]]


def test_trading_ticks_reach_analytics(platform):
    trading, analytics = platform["trading"].url, platform["analytics"].url
    prices = [(100.0, 1_700_000_000_000), (110.0, 1_700_000_001_000), (90.0, 1_700_000_002_000)]
    for price, timestamp in prices:
        accepted = httpx.post(
            f"{trading}/api/trading/market-data",
            json={"assetSymbol": "ETH-USD", "price": price, "timestamp": timestamp},
            headers=PUBLISHER,
        )
        assert accepted.status_code == 201, accepted.text

    recent = httpx.get(f"{trading}/api/trading/market-data/ETH-USD").json()
    assert [t["price"] for t in recent] == [90.0, 110.0, 100.0]

    # Trading's outbox delivers shortly after the 201s.
    poll(lambda: stats_count(analytics, "ETH-USD") == 3, "delivered to analytics", within=15)
    stats = httpx.get(f"{analytics}/api/analytics/assets/ETH-USD/stats").json()
    assert stats == {
        "assetSymbol": "ETH-USD",
        "count": 3,
        "min": 90.0,
        "max": 110.0,
        "mean": 100.0,
        "last": 90.0,
        "lastTimestamp": 1_700_000_002_000,
    }


def test_the_seed_grpc_client_reaches_analytics(platform):
    """A stock grpcio client speaking the seed's market.proto, unchanged but for the address."""
    analytics = platform["analytics"]
    with grpc.insecure_channel(analytics.grpc_address) as channel:
        send = channel.unary_unary(
            "/market.MarketDataService/SendMarketData",
            request_serializer=bytes,
            response_deserializer=lambda data: MarketDataResponse().parse(data),
        )
        reply = send(MarketDataRequest(asset_symbol="SOL", price=42.5, timestamp=1), timeout=5)
    assert reply.success is True
    price = httpx.get(f"{analytics.url}/api/analytics/assets/SOL/price").json()
    assert price == {"assetSymbol": "SOL", "price": 42.5, "timestamp": 1}


def stats_count(analytics: str, symbol: str) -> int:
    reply = httpx.get(f"{analytics}/api/analytics/assets/{symbol}/stats")
    return reply.json()["count"] if reply.status_code == 200 else 0


def submit(trading: str, symbol: str, price: float, timestamp: int) -> httpx.Response:
    return httpx.post(
        f"{trading}/api/trading/market-data",
        json={"assetSymbol": symbol, "price": price, "timestamp": timestamp},
        headers=PUBLISHER,
        timeout=10,
    )


def test_a_tick_fires_a_users_price_alert_in_notification(platform, alice):
    auth = {"Authorization": f"Bearer {alice['token']}"}
    notifications = platform["notification"].url
    alert = httpx.post(
        f"{notifications}/api/notifications/alerts",
        json={"assetSymbol": "ALERT-USD", "direction": "below", "threshold": 50},
        headers=auth,
    )
    assert alert.status_code == 201, alert.text
    for price, timestamp in ((60.0, 1_000), (40.0, 2_000)):  # crosses 50 downwards
        assert submit(platform["trading"].url, "ALERT-USD", price, timestamp).status_code == 201

    def fired() -> list[dict]:
        found = httpx.get(f"{notifications}/api/notifications", headers=auth).json()
        return [n for n in found if n["type"] == "price.alert"]

    poll(fired, "the price alert fired", within=15)
    assert len(fired()) == 1


def test_a_dead_dependency_gives_a_fast_clear_503_and_the_caller_stays_healthy(platform, alice):
    auth = {"Authorization": f"Bearer {alice['token']}"}
    platform["nft"].stop()
    # The client's own timeout turns a hang into a failure here.
    response = httpx.get(f"{platform['user'].url}/api/users/me/nfts", headers=auth, timeout=10)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert platform["user"].health_status() == 200


def test_ticks_submitted_while_analytics_is_down_reach_it_when_it_is_back(tmp_path):
    # Its own processes: analytics is stopped and started again on the same ports and data.
    backoff = {"TRADING_OUTBOX_MAX_BACKOFF_SECONDS": "1"}  # retries stay frequent while down
    with running_services(tmp_path, ["trading"], extra_env=backoff) as services:
        trading, analytics = services["trading"], services["analytics"]
        analytics.stop()
        for n in range(1, 6):
            response = submit(trading.url, "DOWN-USD", float(n), n * 1_000)
            assert response.status_code == 201, response.text  # stored and queued
        assert trading.health_status() == 200
        listed = httpx.get(f"{trading.url}/api/trading/market-data/DOWN-USD").json()
        assert len(listed) == 5

        peers = {  # as at its first start: its dependencies (the JWKS of user) called directly
            name: services[name].grpc_address
            if protocol == "grpc"
            else services[name].url.removeprefix("http://")
            for name, protocol in analytics.spec.egress.items()
        }
        # Restarted as mesh.direct starts it: no sidecar, so no caller identity to ask for.
        env = app_environment(
            analytics.instance, tmp_path / "data", peers, {**NO_SIDECARS, **trusting_env()}
        )
        restarted = start_app(analytics.instance, env, tmp_path / "log")
        try:
            restarted.wait_ready()
            # The relay backs off while analytics is down (capped), then delivers everything.
            poll(
                lambda: stats_count(restarted.url, "DOWN-USD") == 5,
                "every queued tick delivered",
                within=45,
            )
            stats = httpx.get(f"{restarted.url}/api/analytics/assets/DOWN-USD/stats").json()
            assert (stats["min"], stats["max"], stats["last"]) == (1.0, 5.0, 5.0)
        finally:
            restarted.stop()
