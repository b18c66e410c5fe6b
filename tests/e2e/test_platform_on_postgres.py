"""The platform on PostgreSQL: every service on its own database, created at start-up."""

from __future__ import annotations

import uuid
from contextlib import AsyncExitStack

import httpx
import pytest

from mesh.processes import AppProcess
from mesh.topology import load_topology
from tests.support.mesh import poll
from tests.support.platform import running_services
from tests.support.postgres import temporary_database
from tests.support.tokens import bearer

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

# Publishing prices needs the Developer (or Admin) role.
PUBLISHER = bearer(uuid.uuid4(), roles=["Developer"])


async def test_every_service_runs_on_its_own_postgres_database(tmp_path):
    names = sorted(load_topology().services)
    async with AsyncExitStack() as stack:
        # Databases that do not exist yet: each service must create its own at start-up.
        env = {
            f"{n.upper()}_DATABASE_URL": await stack.enter_async_context(
                temporary_database(f"capsure_e2e_{n}", create=False)
            )
            for n in names
        }
        with running_services(tmp_path, extra_env=env) as services:
            register_mint_list_and_trade(services)


def register_mint_list_and_trade(services: dict[str, AppProcess]) -> None:
    users, nfts = services["user"].url, services["nft"].url
    account = {"username": "pg-bob", "password": "pg-secret-1"}
    created = httpx.post(f"{users}/api/users", json={**account, "email": "b@pg.example"})
    assert created.status_code == 201, created.text
    token = httpx.post(f"{users}/api/users/login", json=account).json()["accessToken"]
    auth = {"Authorization": f"Bearer {token}"}
    minted = httpx.post(f"{nfts}/api/nfts", json={"name": "On PG"}, headers=auth)
    assert minted.status_code == 201, minted.text
    mine = httpx.get(f"{users}/api/users/me/nfts", headers=auth).json()
    assert [n["id"] for n in mine] == [minted.json()["id"]]

    tick = {"assetSymbol": "PG", "price": 7.5, "timestamp": 1}
    sent = httpx.post(
        f"{services['trading'].url}/api/trading/market-data", json=tick, headers=PUBLISHER
    )
    assert sent.status_code == 201, sent.text
    stats = f"{services['analytics'].url}/api/analytics/assets/PG/stats"
    # Delivered from trading's outbox shortly after the 201.
    poll(lambda: httpx.get(stats).status_code == 200, "delivered to analytics", within=15)
    assert httpx.get(stats).json()["count"] == 1
