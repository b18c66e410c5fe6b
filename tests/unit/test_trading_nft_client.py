"""trading's nft adapter: what each answer of nft (or its absence) becomes. Approvals: nft's
refusals keep their status, anything else is a 503 (nothing changed); transfers: 200 is done,
a 4xx judging the request is a refusal for good, everything else an unknown outcome (the
purchase stays pending and is tried again with the same key)."""

from __future__ import annotations

import json
from uuid import uuid4

import httpx
import pytest

from mesh.ports import free_port
from services.trading.adapters.nft_marketplace import RestNftMarketplace
from services.trading.domain.errors import (
    NftConflict,
    NftForbidden,
    NftNotFound,
    NftServiceUnavailable,
)
from services.trading.service_layer.ports import (
    Transferred,
    TransferRefused,
    TransferRequest,
    TransferUnknown,
)

pytestmark = pytest.mark.unit

NFT_ID, LISTING, SELLER, BUYER = uuid4(), uuid4(), uuid4(), uuid4()
NFT = {
    "id": str(NFT_ID),
    "name": "Genesis",
    "description": "",
    "metadata": {},
    "ownerId": str(BUYER),
    "creatorId": str(SELLER),
    "createdAt": "2026-01-01T00:00:00Z",
    "updatedAt": "2026-01-01T00:00:00Z",
    "hidden": False,
    "lastTxHash": "ab" * 32,
}
SALE = TransferRequest(LISTING, NFT_ID, SELLER, BUYER)


class FakeNftServer:
    """Answers every request with the next prepared response and records what it got."""

    def __init__(self, status: int, body: object = None, error: Exception | None = None) -> None:
        self.status, self.body, self.error = status, body, error
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.error is not None:
            raise self.error
        if isinstance(self.body, str):
            return httpx.Response(self.status, text=self.body)
        content_type = "application/json" if self.status < 400 else "application/problem+json"
        return httpx.Response(self.status, json=self.body, headers={"content-type": content_type})


def adapter(server: FakeNftServer) -> RestNftMarketplace:
    return RestNftMarketplace("nft:8002", 2.0, transport=httpx.MockTransport(server))


def problem(status: int, detail: str) -> dict:
    return {"title": "x", "status": status, "detail": detail}


async def test_an_approval_carries_the_sellers_token_and_the_listing():
    server = FakeNftServer(200, {**NFT, "saleListingId": str(LISTING)})
    await adapter(server).approve_sale(NFT_ID, LISTING, bearer="t.o.k")
    [request] = server.requests
    assert request.method == "PUT" and request.url.path == f"/api/nfts/{NFT_ID}/sale-approval"
    assert request.headers["authorization"] == "Bearer t.o.k"
    assert json.loads(request.content) == {"listingId": str(LISTING)}


async def test_a_withdrawal_names_the_listing():
    server = FakeNftServer(200, NFT)
    await adapter(server).withdraw_approval(NFT_ID, LISTING, bearer="t.o.k")
    [request] = server.requests
    assert (request.method, request.url.params["listingId"]) == ("DELETE", str(LISTING))


@pytest.mark.parametrize(
    ("status", "error"), [(403, NftForbidden), (404, NftNotFound), (409, NftConflict)]
)
async def test_nfts_refusals_of_an_approval_keep_their_status_and_detail(status, error):
    with pytest.raises(error, match="not yours"):
        await adapter(FakeNftServer(status, problem(status, "not yours"))).approve_sale(
            NFT_ID, LISTING, bearer="t"
        )


@pytest.mark.parametrize(
    "server",
    [
        FakeNftServer(500, problem(500, "boom")),
        FakeNftServer(503, "upstream connect error"),  # an Envoy answer, not JSON
        FakeNftServer(
            401, problem(401, "no")
        ),  # nft does not trust our token: not the caller's fault
        FakeNftServer(200, {"id": "not an nft"}),
        FakeNftServer(0, error=httpx.ConnectTimeout("slow")),
        FakeNftServer(0, error=httpx.ConnectError("refused")),
    ],
    ids=["500", "envoy 503", "401", "bad body", "timeout", "refused"],
)
async def test_no_usable_answer_to_an_approval_is_unavailable(server):
    with pytest.raises(NftServiceUnavailable):
        await adapter(server).approve_sale(NFT_ID, LISTING, bearer="t")


async def test_a_transfer_is_keyed_carries_no_token_and_returns_the_chain_hash():
    server = FakeNftServer(200, NFT)
    outcome = await adapter(server).transfer_sold(SALE, key="purchase-1")
    assert outcome == Transferred("ab" * 32)
    [request] = server.requests
    assert request.url.path == "/internal/marketplace-transfers"
    assert request.headers["idempotency-key"] == "purchase-1"
    assert "authorization" not in request.headers


@pytest.mark.parametrize("status", [400, 404, 409])
async def test_a_transfer_refused_for_good(status):
    server = FakeNftServer(status, problem(status, "seller no longer owns it"))
    outcome = await adapter(server).transfer_sold(SALE, key="purchase-1")
    assert outcome == TransferRefused(status, "seller no longer owns it")


@pytest.mark.parametrize(
    "server",
    [
        FakeNftServer(422, problem(422, "key reused")),  # not about the sale: never compensate
        FakeNftServer(429, "overloaded"),
        FakeNftServer(500, problem(500, "boom")),
        FakeNftServer(503, "upstream connect error"),
        FakeNftServer(504, "upstream request timeout"),
        FakeNftServer(200, "{not json"),
        FakeNftServer(0, error=httpx.ReadTimeout("lost")),
        FakeNftServer(0, error=httpx.ConnectError("refused")),
    ],
    ids=["422", "429", "500", "503", "504", "garbled 200", "read timeout", "refused"],
)
async def test_an_unknown_transfer_outcome(server):
    outcome = await adapter(server).transfer_sold(SALE, key="purchase-1")
    assert isinstance(outcome, TransferUnknown)


async def test_an_nft_nobody_listens_for_is_unavailable():
    nft = RestNftMarketplace(f"127.0.0.1:{free_port()}", 2.0)
    try:
        with pytest.raises(NftServiceUnavailable):
            await nft.approve_sale(NFT_ID, LISTING, bearer="t")
        assert isinstance(await nft.transfer_sold(SALE, key="k"), TransferUnknown)
    finally:
        await nft.aclose()
