"""REST through the edge, and proof from Envoys' counters that service-to-service calls took the
mesh's path: the caller's sidecar egress, then the callee's sidecar inbound, never direct."""

from __future__ import annotations

import uuid

import httpx
import pytest

from mesh.runner import Mesh, RunningInstance
from tests.support.mesh import address, host_requests, poll, stats
from tests.support.tokens import bearer

pytestmark = pytest.mark.e2e

# Publishing prices needs the Developer (or Admin) role.
PUBLISHER = bearer(uuid.uuid4(), roles=["Developer"])

PASSWORD = "mesh-e2e-secret-1"
SYMBOL = "MESH-REST"


def only(mesh: Mesh, service: str) -> RunningInstance:
    (running,) = mesh.instances[service]
    return running


def counters(running: RunningInstance, *names: str) -> dict[str, int]:
    values = stats(running.sidecar, "^(" + "|".join(n.replace(".", r"\.") for n in names) + ")$")
    return {name: values.get(name, 0) for name in names}


def grew(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in before}


@pytest.fixture(scope="module")
def edge(platform_mesh: Mesh) -> httpx.Client:
    with httpx.Client(base_url=platform_mesh.edge_url, trust_env=False, timeout=10) as client:
        yield client


def test_register_login_mint_and_list_through_the_edge_via_user_sidecar_to_nft(platform_mesh, edge):
    user, nft = only(platform_mesh, "user"), only(platform_mesh, "nft")
    egress = ("http.egress_nft.downstream_rq_total", "cluster.nft.upstream_rq_total")
    inbound = ("http.inbound.downstream_rq_total", "cluster.local_app.upstream_rq_total")
    name = f"mesh-{uuid.uuid4().hex[:8]}"
    registered = edge.post(
        "/api/users",
        json={"username": name, "email": f"{name}@e2e.example", "password": PASSWORD},
    )
    assert registered.status_code == 201, registered.text
    login = edge.post("/api/users/login", json={"username": name, "password": PASSWORD})
    assert login.status_code == 200, login.text
    auth = {"Authorization": f"Bearer {login.json()['accessToken']}"}
    minted = edge.post(
        "/api/nfts",
        json={"name": "Mesh genesis", "metadata": {"image": "https://img.example/m.png"}},
        headers=auth,
    )
    assert minted.status_code == 201, minted.text

    user_before, nft_before = counters(user, *egress), counters(nft, *inbound)
    to_nft_before = host_requests(user.sidecar, "nft")
    mine = edge.get("/api/users/me/nfts", headers=auth)
    assert mine.status_code == 200, mine.text
    assert [n["id"] for n in mine.json()] == [minted.json()["id"]]

    # The user app called nft through its own sidecar's egress listener and `nft` cluster ...
    user_grew = grew(user_before, counters(user, *egress))
    assert all(delta >= 1 for delta in user_grew.values()), user_grew
    # ... which sent it to the nft instance's sidecar inbound address (health checks are not
    # counted per host, so this is the call) ...
    to_nft = host_requests(user.sidecar, "nft")
    assert set(to_nft) == {address(nft)}
    assert to_nft[address(nft)] - to_nft_before.get(address(nft), 0) >= 1
    # ... whose inbound listener passed it to its local app.
    nft_grew = grew(nft_before, counters(nft, *inbound))
    assert all(delta >= 1 for delta in nft_grew.values()), nft_grew
    print(f"user sidecar egress {user_grew}; nft sidecar inbound {nft_grew}")

    # The seed's own REST path, unchanged, through the edge.
    seed = edge.get(f"/api/nfts/user/{registered.json()['id']}")
    assert seed.status_code == 200, seed.text
    assert [n["id"] for n in seed.json()] == [minted.json()["id"]]


def test_trading_reaches_analytics_over_grpc_through_its_sidecar_egress(platform_mesh, edge):
    trading, analytics = only(platform_mesh, "trading"), only(platform_mesh, "analytics")
    egress = (
        "http.egress_analytics.downstream_rq_total",
        "cluster.analytics_grpc.upstream_rq_total",
    )
    inbound = ("http.inbound.downstream_rq_total", "cluster.local_app_grpc.upstream_rq_total")
    trading_before, analytics_before = counters(trading, *egress), counters(analytics, *inbound)
    to_analytics_before = host_requests(trading.sidecar, "analytics_grpc")

    prices = [(100.0, 1_700_000_000_000), (110.0, 1_700_000_001_000), (90.0, 1_700_000_002_000)]
    for price, timestamp in prices:
        accepted = edge.post(
            "/api/trading/market-data",
            json={"assetSymbol": SYMBOL, "price": price, "timestamp": timestamp},
            headers=PUBLISHER,
        )
        assert accepted.status_code == 201, accepted.text

    # The outbox delivers shortly after the 201s, possibly all three on one stream.
    poll(lambda: stats_count(edge, SYMBOL) == len(prices), "delivered to analytics", within=15)
    trading_grew = grew(trading_before, counters(trading, *egress))
    assert all(delta >= 1 for delta in trading_grew.values()), trading_grew
    to_analytics = host_requests(trading.sidecar, "analytics_grpc")
    assert set(to_analytics) == {address(analytics)}
    sent = to_analytics[address(analytics)] - to_analytics_before.get(address(analytics), 0)
    assert sent >= 1
    analytics_grew = grew(analytics_before, counters(analytics, *inbound))
    assert all(delta >= 1 for delta in analytics_grew.values()), analytics_grew
    print(f"trading sidecar egress {trading_grew}; analytics sidecar inbound {analytics_grew}")

    stats_reply = edge.get(f"/api/analytics/assets/{SYMBOL}/stats")
    assert stats_reply.status_code == 200, stats_reply.text
    assert stats_reply.json() == {
        "assetSymbol": SYMBOL,
        "count": 3,
        "min": 90.0,
        "max": 110.0,
        "mean": 100.0,
        "last": 90.0,
        "lastTimestamp": 1_700_000_002_000,
    }


def stats_count(edge: httpx.Client, symbol: str) -> int:
    reply = edge.get(f"/api/analytics/assets/{symbol}/stats")
    return reply.json()["count"] if reply.status_code == 200 else 0


def test_trades_through_the_edge_become_candles_volume_and_vwap(edge):
    symbol = f"VWAP-{uuid.uuid4().hex[:6].upper()}"
    start = 1_767_225_600_000  # 2026-01-01T00:00Z, the start of a minute
    for price, quantity, offset in ((10.0, 1.0, 0), (20.0, 3.0, 1_000), (15.0, 0.0, 61_000)):
        accepted = edge.post(
            "/api/trading/market-data",
            json={
                "assetSymbol": symbol,
                "price": price,
                "timestamp": start + offset,
                "quantity": quantity,
            },
            headers={**PUBLISHER, "Idempotency-Key": f"{symbol}-{offset}"},
        )
        assert accepted.status_code == 201, accepted.text
    poll(lambda: stats_count(edge, symbol) == 3, "delivered to analytics", within=15)
    volume = edge.get(f"/api/analytics/assets/{symbol}/volume").json()
    assert (volume["trades24h"], volume["volume24h"]) == (2, 4.0)
    assert volume["vwap24h"] == pytest.approx((10.0 * 1 + 20.0 * 3) / 4)
    candles = edge.get(f"/api/analytics/assets/{symbol}/candles", params={"interval": "1m"}).json()
    assert [(c["open"], c["high"], c["low"], c["close"], c["volume"]) for c in candles] == [
        (15.0, 15.0, 15.0, 15.0, 0.0),
        (10.0, 20.0, 10.0, 20.0, 4.0),
    ]


def test_a_tick_through_the_mesh_fires_a_users_price_alert_in_notification(edge):
    account = {"username": f"alerts-{uuid.uuid4().hex[:8]}", "password": PASSWORD}
    created = edge.post("/api/users", json={**account, "email": f"{account['username']}@e2e.ex"})
    assert created.status_code == 201, created.text
    token = edge.post("/api/users/login", json=account).json()["accessToken"]
    auth = {"Authorization": f"Bearer {token}"}
    symbol = f"ALRT-{uuid.uuid4().hex[:6].upper()}"
    alert = edge.post(
        "/api/notifications/alerts",
        json={"assetSymbol": symbol, "direction": "above", "threshold": 150},
        headers=auth,
    )
    assert alert.status_code == 201, alert.text

    # Below, then above the threshold: trading's outbox -> its sidecar -> notification.
    for price, timestamp in ((100.0, 1_767_225_600_000), (200.0, 1_767_225_601_000)):
        accepted = edge.post(
            "/api/trading/market-data",
            json={"assetSymbol": symbol, "price": price, "timestamp": timestamp},
            headers=PUBLISHER,
        )
        assert accepted.status_code == 201, accepted.text

    def fired() -> list[dict]:
        return [
            n
            for n in edge.get("/api/notifications", headers=auth).json()
            if n["type"] == "price.alert"  # a new user: only this alert notifies them
        ]

    poll(fired, "the price alert fired", within=15)
    assert len(fired()) == 1
