"""The marketplace's REST operations on fakes, with responses validated against the contract:
statuses, problem answers, the purchase's 201/202/409/422 and its replays."""

from __future__ import annotations

from uuid import UUID, uuid4

import jwt
import pytest

from services.trading.bootstrap import bootstrap
from services.trading.config import TradingSettings
from tests.support.asgi import asgi_client
from tests.support.tokens import bearer, jwks_url
from tests.unit.trading_market_fakes import Market, build_market

pytestmark = pytest.mark.unit

PROBLEM = "application/problem+json"
SELLER, BUYER, STRANGER = uuid4(), uuid4(), uuid4()


def subject(token: str) -> UUID:
    return UUID(jwt.decode(token, options={"verify_signature": False})["sub"])


@pytest.fixture
def market(clock) -> Market:
    market = build_market(clock)
    market.nft.who = subject  # the fake nft reads the forwarded token's subject
    return market


@pytest.fixture
async def client(market):
    app = bootstrap(TradingSettings(validate_responses=True, jwks_url=jwks_url()), market.deps)
    async with asgi_client(app) as client:
        yield client


async def listed(client, market, price: str = "25.00") -> dict:
    nft_id = market.nft.mint(SELLER)
    response = await client.post(
        "/api/trading/listings", json={"nftId": str(nft_id), "price": price}, headers=bearer(SELLER)
    )
    assert response.status_code == 201, response.text
    return response.json()


async def funded(client, user: UUID = BUYER, amount: str = "100") -> None:
    response = await client.post(
        "/api/trading/wallet/deposits", json={"amount": amount}, headers=bearer(user)
    )
    assert response.status_code == 201, response.text


async def buy(client, listing_id: str, key: str = "k-1", user: UUID = BUYER):
    return await client.post(
        f"/api/trading/listings/{listing_id}/purchases",
        headers={**bearer(user), "Idempotency-Key": key},
    )


async def test_a_deposit_answers_the_wallet_in_decimal_strings(client):
    response = await client.post(
        "/api/trading/wallet/deposits", json={"amount": "12.5"}, headers=bearer(BUYER)
    )
    assert response.status_code == 201
    assert response.json() == {
        "userId": str(BUYER),
        "currency": "USD",
        "available": "12.50",
        "held": "0.00",
    }
    wallet = await client.get("/api/trading/wallet", headers=bearer(BUYER))
    assert wallet.json()["available"] == "12.50"


@pytest.mark.parametrize("amount", ["0", "0.00", "5000000"])
async def test_a_deposit_of_nothing_or_too_much_is_a_400_problem(client, amount):
    response = await client.post(
        "/api/trading/wallet/deposits", json={"amount": amount}, headers=bearer(BUYER)
    )
    assert (response.status_code, response.headers["content-type"]) == (400, PROBLEM)


async def test_a_keyed_deposit_is_credited_once(client, market):
    headers = {**bearer(BUYER), "Idempotency-Key": "dep-1"}
    for _ in range(2):
        response = await client.post(
            "/api/trading/wallet/deposits", json={"amount": "10"}, headers=headers
        )
        assert response.status_code == 201
    assert response.headers["idempotent-replayed"] == "true"
    assert len(market.payments.collected) == 1


async def test_a_listing_is_201_with_its_location(client, market):
    nft_id = market.nft.mint(SELLER)
    response = await client.post(
        "/api/trading/listings", json={"nftId": str(nft_id), "price": "9.9"}, headers=bearer(SELLER)
    )
    body = response.json()
    assert response.status_code == 201
    assert (body["price"], body["status"], body["sellerId"]) == ("9.90", "active", str(SELLER))
    assert response.headers["location"] == f"/api/trading/listings/{body['id']}"
    assert (await client.get(response.headers["location"])).json() == body


async def test_listing_someone_elses_nft_is_403_and_a_second_listing_409(client, market):
    listing = await listed(client, market)
    taken = {"nftId": listing["nftId"], "price": "1"}
    assert (
        await client.post("/api/trading/listings", json=taken, headers=bearer(STRANGER))
    ).status_code == 409  # one open listing per NFT, whoever asks
    other = {"nftId": str(market.nft.mint(SELLER)), "price": "1"}
    response = await client.post("/api/trading/listings", json=other, headers=bearer(STRANGER))
    assert (response.status_code, response.headers["content-type"]) == (403, PROBLEM)


async def test_a_zero_price_is_400(client, market):
    body = {"nftId": str(market.nft.mint(SELLER)), "price": "0"}
    response = await client.post("/api/trading/listings", json=body, headers=bearer(SELLER))
    assert response.status_code == 400


async def test_nft_unavailable_is_a_503_problem_with_retry_after(client, market):
    market.nft.unavailable = True
    body = {"nftId": str(market.nft.mint(SELLER)), "price": "1"}
    response = await client.post("/api/trading/listings", json=body, headers=bearer(SELLER))
    assert (response.status_code, response.headers["content-type"]) == (503, PROBLEM)
    assert response.headers["retry-after"] == "1"


async def test_a_purchase_is_201_and_replayed_with_the_same_key(client, market):
    listing = await listed(client, market)
    await funded(client)
    first = await buy(client, listing["id"])
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["status"], body["price"], body["failureReason"]) == ("completed", "25.00", None)
    again = await buy(client, listing["id"])
    assert (again.status_code, again.json()) == (201, body)
    assert again.headers["idempotent-replayed"] == "true"
    wallet = (await client.get("/api/trading/wallet", headers=bearer(BUYER))).json()
    assert (wallet["available"], wallet["held"]) == ("75.00", "0.00")
    [sale] = (await client.get("/api/trading/sales", params={"nftId": listing["nftId"]})).json()
    assert (sale["id"], sale["purchaseId"]) == (body["saleId"], body["id"])


async def test_a_pending_purchase_is_202_with_retry_after(client, market):
    listing = await listed(client, market)
    await funded(client)
    market.nft.mode = "down"
    response = await buy(client, listing["id"])
    assert (response.status_code, response.json()["status"]) == (202, "pending")
    assert response.headers["retry-after"] == "5"
    market.nft.mode = "ok"
    assert (await buy(client, listing["id"])).status_code == 201


async def test_a_refused_purchase_is_409_and_stays_409(client, market):
    listing = await listed(client, market)
    await funded(client)
    market.nft.mode = "refuse"
    first = await buy(client, listing["id"])
    assert (first.status_code, first.headers["content-type"]) == (409, PROBLEM)
    again = await buy(client, listing["id"])
    assert (again.status_code, again.json()["detail"]) == (409, first.json()["detail"])


async def test_purchase_refusals(client, market):
    listing = await listed(client, market)
    assert (await buy(client, listing["id"])).status_code == 409  # no money
    assert (await buy(client, listing["id"], user=SELLER)).status_code == 409  # own listing
    assert (await buy(client, str(uuid4()))).status_code == 404
    no_key = await client.post(
        f"/api/trading/listings/{listing['id']}/purchases", headers=bearer(BUYER)
    )
    assert no_key.status_code == 400  # the contract requires the key


async def test_a_key_reused_for_another_listing_is_422(client, market):
    first, second = await listed(client, market), await listed(client, market)
    await funded(client)
    assert (await buy(client, first["id"])).status_code == 201
    reused = await buy(client, second["id"])
    assert (reused.status_code, reused.headers["content-type"]) == (422, PROBLEM)


async def test_a_purchase_is_shown_to_its_buyer_and_seller_only(client, market):
    listing = await listed(client, market)
    await funded(client)
    purchase = (await buy(client, listing["id"])).json()
    url = f"/api/trading/purchases/{purchase['id']}"
    for user in (BUYER, SELLER):
        assert (await client.get(url, headers=bearer(user))).json() == purchase
    assert (await client.get(url, headers=bearer(STRANGER))).status_code == 403
    unknown = f"/api/trading/purchases/{uuid4()}"
    assert (await client.get(unknown, headers=bearer(BUYER))).status_code == 404


async def test_cancelling(client, market):
    listing = await listed(client, market)
    url = f"/api/trading/listings/{listing['id']}"
    assert (await client.delete(url, headers=bearer(STRANGER))).status_code == 403
    cancelled = await client.delete(url, headers=bearer(SELLER))
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    assert (await client.delete(url, headers=bearer(SELLER))).json() == cancelled.json()

    sold = await listed(client, market)
    await funded(client)
    await buy(client, sold["id"])
    response = await client.delete(f"/api/trading/listings/{sold['id']}", headers=bearer(SELLER))
    assert response.status_code == 409


async def test_listings_are_filtered_and_paginated(client, market, clock):
    first = await listed(client, market)
    clock.advance()
    second = await listed(client, market)
    page = await client.get("/api/trading/listings", params={"status": "active", "limit": 1})
    assert [x["id"] for x in page.json()] == [second["id"]]
    rest = await client.get("/api/trading/listings", params={"offset": 1})
    assert [x["id"] for x in rest.json()] == [first["id"]]
    mine = await client.get("/api/trading/listings", params={"sellerId": str(STRANGER)})
    assert mine.json() == []
