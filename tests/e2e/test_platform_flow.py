"""The whole platform as real processes on free ports, driven over REST and gRPC."""

from __future__ import annotations

import uuid

import grpc
import httpx
import pytest

from generated.grpc.market import MarketDataRequest, MarketDataResponse
from mesh.processes import AppProcess
from tests.support.platform import running_services
from tests.support.tokens import bearer

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


def test_a_dead_dependency_gives_a_fast_clear_503_and_the_caller_stays_healthy(platform, alice):
    auth = {"Authorization": f"Bearer {alice['token']}"}
    platform["nft"].stop()
    # The client's own timeout turns a hang into a failure here.
    response = httpx.get(f"{platform['user'].url}/api/users/me/nfts", headers=auth, timeout=10)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert platform["user"].health_status() == 200

    platform["analytics"].stop()
    response = httpx.post(
        f"{platform['trading'].url}/api/trading/market-data",
        json={"assetSymbol": "BTC", "price": 1.0, "timestamp": 1},
        headers=PUBLISHER,
        timeout=10,
    )
    assert response.status_code == 503
    assert platform["trading"].health_status() == 200
    # Nothing was kept that analytics did not get.
    assert httpx.get(f"{platform['trading'].url}/api/trading/market-data/BTC").json() == []
