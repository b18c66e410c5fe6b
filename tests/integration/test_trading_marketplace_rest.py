"""The trading app as `python -m services.trading` builds it (its own SQLite database, relay
and purchase resumer in its lifespan), in-process, with nft not reachable: deposits work, and
what needs nft answers a clean 503 problem that changed nothing."""

from __future__ import annotations

from uuid import uuid4

import pytest

from mesh.ports import free_port
from services.trading.bootstrap import bootstrap
from services.trading.config import TradingSettings
from tests.support.asgi import asgi_client
from tests.support.tokens import bearer, jwks_url

pytestmark = pytest.mark.integration

USER = uuid4()


@pytest.fixture
async def client(tmp_path):
    nobody = f"127.0.0.1:{free_port()}"
    settings = TradingSettings(
        data_dir=tmp_path,
        jwks_url=jwks_url(),
        validate_responses=True,
        nft_addr=nobody,
        notification_addr=nobody,
        analytics_addr=nobody,
    )
    async with asgi_client(bootstrap(settings)) as client:  # leaving it stops the resumer
        client.headers.update(bearer(USER))
        yield client


async def test_deposits_are_kept_in_the_database(client):
    for amount in ("10.10", "0.20"):
        response = await client.post("/api/trading/wallet/deposits", json={"amount": amount})
        assert response.status_code == 201
    wallet = (await client.get("/api/trading/wallet")).json()
    assert (wallet["available"], wallet["held"]) == ("10.30", "0.00")


async def test_listing_without_nft_is_a_503_problem_and_keeps_nothing(client):
    body = {"nftId": str(uuid4()), "price": "5"}
    response = await client.post("/api/trading/listings", json=body)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "nft service is unavailable" in response.json()["detail"]
    assert (await client.get("/api/trading/listings")).json() == []
