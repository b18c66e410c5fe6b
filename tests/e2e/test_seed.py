"""`make seed` through the edge of a running mesh: the demo data arrives, and a second run
changes nothing (every write carries an Idempotency-Key)."""

from __future__ import annotations

import httpx
import pytest

from mesh.runner import Mesh
from services.user.config import UserSettings
from tools import seed

pytestmark = pytest.mark.e2e


def snapshot(edge: httpx.Client) -> tuple:
    login = edge.post("/api/users/login", json={"username": "alice", "password": seed.PASSWORD})
    auth = {"Authorization": f"Bearer {login.json()['accessToken']}"}
    me = edge.get("/api/users/me", headers=auth).json()
    nfts = edge.get(f"/api/nfts/user/{me['id']}").json()
    volume = edge.get("/api/analytics/assets/ETH-USD/volume").json()
    alerts = edge.get("/api/notifications/alerts", headers=auth).json()
    return (
        sorted(n["name"] for n in nfts),
        volume["ticks24h"],
        volume["volume24h"],
        [(a["assetSymbol"], a["threshold"]) for a in alerts],
    )


def test_seeding_twice_loads_the_demo_data_once(platform_mesh: Mesh):
    admin = UserSettings()
    for _ in range(2):
        print(seed.seed(platform_mesh.edge_url, admin.admin_username, admin.admin_password))
    with httpx.Client(base_url=platform_mesh.edge_url, trust_env=False, timeout=10) as edge:
        nfts, ticks, volume, alerts = snapshot(edge)
    assert nfts == sorted(seed.NFTS["alice"])
    assert ticks == seed.MINUTES
    assert volume == sum(float(1 + minute % 3) for minute in range(seed.MINUTES))
    assert alerts == [("ETH-USD", 3200)]
