"""`make seed` through the edge of a running mesh: the demo data arrives, and a second run
changes nothing (every write carries an Idempotency-Key)."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from mesh.runner import Mesh
from services.user.config import UserSettings
from tests.support.mesh import poll
from tools import seed

pytestmark = pytest.mark.e2e


def session(edge: httpx.Client, name: str) -> tuple[str, dict[str, str]]:
    login = edge.post("/api/users/login", json={"username": name, "password": seed.PASSWORD})
    auth = {"Authorization": f"Bearer {login.json()['accessToken']}"}
    return edge.get("/api/users/me", headers=auth).json()["id"], auth


def marketplace(edge: httpx.Client) -> dict[str, tuple]:
    """Per demo user: NFTs owned, listings (NFT name, price, status), wallet."""
    state = {}
    for name in seed.USERS:
        user_id, auth = session(edge, name)
        names = {n["id"]: n["name"] for n in edge.get(f"/api/nfts/user/{user_id}").json()}
        listings = edge.get("/api/trading/listings", params={"sellerId": user_id}).json()
        wallet = edge.get("/api/trading/wallet", headers=auth).json()
        state[name] = (
            sorted(names.values()),
            sorted((listing["price"], listing["status"]) for listing in listings),
            (Decimal(wallet["available"]), Decimal(wallet["held"])),
        )
    return state


def snapshot(edge: httpx.Client) -> tuple:
    _, auth = session(edge, "alice")
    volume = edge.get("/api/analytics/assets/ETH-USD/volume").json()
    alerts = edge.get("/api/notifications/alerts", headers=auth).json()
    return (
        volume["ticks24h"],
        volume["volume24h"],
        [(a["assetSymbol"], a["threshold"]) for a in alerts],
        marketplace(edge),
    )


def test_seeding_twice_loads_the_demo_data_once(platform_mesh: Mesh):
    admin = UserSettings()
    print(seed.seed(platform_mesh.edge_url, admin.admin_username, admin.admin_password))
    with httpx.Client(base_url=platform_mesh.edge_url, trust_env=False, timeout=10) as edge:
        # The demo sale may still be settling (202); it completes on its own.
        poll(lambda: marketplace(edge)["carol"][2][1] == 0, "the demo sale settled", 20)
        first = snapshot(edge)
        print(seed.seed(platform_mesh.edge_url, admin.admin_username, admin.admin_password))
        ticks, volume, alerts, market = snapshot(edge)
    assert (ticks, volume, alerts, market) == first
    assert ticks == seed.MINUTES
    assert volume == sum(float(1 + minute % 3) for minute in range(seed.MINUTES))
    assert alerts == [("ETH-USD", 3200)]
    assert market == {
        "alice": (
            ["Moonlit Koi"],
            [("120.00", "active"), ("150.00", "sold")],
            (Decimal("650.00"), Decimal("0")),
        ),
        "bob": (
            sorted(seed.NFTS["bob"]),
            [("80.00", "active")],
            (Decimal("500.00"), Decimal("0")),
        ),
        "carol": (
            sorted([*seed.NFTS["carol"], "Genesis Ape"]),
            [("45.50", "active")],
            (Decimal("350.00"), Decimal("0")),
        ),
    }
