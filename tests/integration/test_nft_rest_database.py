"""The nft app on its real database (migrated by its own lifespan), with and without
Idempotency-Key: the key's transaction wraps the handler, so the use case's own transaction is
a savepoint in it; either way every mint and transfer is on the chain exactly once."""

import asyncio
from uuid import uuid4

import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE

from services.nft.bootstrap import bootstrap
from services.nft.config import NftSettings
from tests.support.asgi import asgi_client
from tests.support.callers import called_by
from tests.support.tokens import bearer, jwks_url
from tests.unit.nft_fakes import InMemoryUserDirectory

pytestmark = pytest.mark.integration

ALICE, BOB = uuid4(), uuid4()
ADMIN = bearer(uuid4(), roles=["Admin"])


@pytest.fixture
async def client(database_url):
    EXECUTOR_CACHE.clear()  # Tortoise caches SQL by connection name, whatever the dialect
    settings = NftSettings(database_url=database_url, validate_responses=True, jwks_url=jwks_url())
    users = InMemoryUserDirectory(ALICE, BOB)
    async with asgi_client(bootstrap(settings, users=users)) as client:
        yield client


def headers(user=ALICE, key: str | None = None) -> dict[str, str]:
    return {**bearer(user), **({"Idempotency-Key": key} if key else {})}


async def verified(client) -> dict:
    response = await client.get("/api/nfts/ledger/verify", headers=ADMIN)
    assert response.status_code == 200
    return response.json()


async def test_concurrent_mints_with_and_without_keys_are_each_on_the_chain_once(client):
    keys = [f"mint-{i}" if i % 2 else None for i in range(10)]
    responses = await asyncio.gather(
        *(client.post("/api/nfts", json={"name": "n"}, headers=headers(key=k)) for k in keys)
    )
    assert {r.status_code for r in responses} == {201}
    replays = await asyncio.gather(
        *(client.post("/api/nfts", json={"name": "n"}, headers=headers(key=k)) for k in keys if k)
    )
    assert all(r.headers["idempotent-replayed"] == "true" for r in replays)
    assert sorted(r.json()["tokenId"] for r in responses) == list(range(1, 11))
    assert await verified(client) == {"entries": 10, "valid": True, "firstInvalidBlock": None}


@pytest.mark.parametrize("key", [None, "transfer-1"], ids=["plain", "keyed"])
async def test_a_transfer_is_on_the_chain_once_and_its_history_reads_back(client, key):
    minted = (await client.post("/api/nfts", json={"name": "n"}, headers=headers())).json()
    url = f"/api/nfts/{minted['id']}"
    moved = await client.post(
        f"{url}/transfer", json={"toUserId": str(BOB)}, headers=headers(key=key)
    )
    assert moved.status_code == 200, moved.text
    again = await client.post(
        f"{url}/transfer", json={"toUserId": str(BOB)}, headers=headers(key=key)
    )
    # Replayed with the key; without one, ALICE no longer owns it.
    assert again.status_code == (200 if key else 403)
    ownership = (await client.get(f"{url}/ownership")).json()
    assert [(o["kind"], o["to"]) for o in ownership] == [
        ("mint", str(ALICE)),
        ("transfer", str(BOB)),
    ]
    assert ownership[-1]["txHash"] == moved.json()["lastTxHash"]
    assert (await client.get(url)).json() == moved.json()
    assert await verified(client) == {"entries": 2, "valid": True, "firstInvalidBlock": None}


@pytest.mark.parametrize("key", [None, "edit-1"], ids=["plain", "keyed"])
async def test_edits_are_kept_as_versions(client, key):
    minted = (await client.post("/api/nfts", json={"name": "v1"}, headers=headers())).json()
    url = f"/api/nfts/{minted['id']}"
    edited = await client.patch(url, json={"name": "v2"}, headers=headers(key=key))
    assert edited.status_code == 200
    replay = await client.patch(url, json={"name": "v2"}, headers=headers(key=key))
    assert replay.json()["version"] == (2 if key else 3)
    history = (await client.get(f"{url}/history")).json()
    assert [(v["version"], v["name"]) for v in history][-2:] == [(2, "v2"), (1, "v1")]
    assert history[-1]["changedAt"] == minted["createdAt"]


async def test_a_sale_through_its_approved_listing_is_on_the_chain_once(client):
    minted = (await client.post("/api/nfts", json={"name": "n"}, headers=headers())).json()
    url = f"/api/nfts/{minted['id']}"
    listing = str(uuid4())
    approved = await client.put(
        f"{url}/sale-approval", json={"listingId": listing}, headers=headers()
    )
    assert approved.json()["saleListingId"] == listing
    sale = {
        "listingId": listing,
        "nftId": minted["id"],
        "sellerId": str(ALICE),
        "buyerId": str(BOB),
    }
    # As trading's requests reach nft through its sidecar (the only caller it admits there).
    key = {"Idempotency-Key": f"purchase-{listing}", **called_by("trading")}
    sold = await client.post("/internal/marketplace-transfers", json=sale, headers=key)
    again = await client.post("/internal/marketplace-transfers", json=sale, headers=key)
    assert (sold.status_code, again.status_code) == (200, 200), sold.text
    assert again.headers["idempotent-replayed"] == "true"
    assert (sold.json()["ownerId"], sold.json()["saleListingId"]) == (str(BOB), None)
    assert (await client.get(url)).json() == sold.json()
    ownership = (await client.get(f"{url}/ownership")).json()
    assert [(o["kind"], o["to"]) for o in ownership] == [
        ("mint", str(ALICE)),
        ("transfer", str(BOB)),
    ]
    assert await verified(client) == {"entries": 2, "valid": True, "firstInvalidBlock": None}
