"""Consumer-driven contract for trading -> nft, the marketplace's calls: a seller's listing
asks nft to approve the sale (`PUT /api/nfts/{nftId}/sale-approval`, the seller's bearer
forwarded), a cancel withdraws it (`DELETE …?listingId=`), and a purchase's step 2 transfers
the sold NFT (`POST /internal/marketplace-transfers`, no bearer, `Idempotency-Key:
purchase-<id>`), which nft refuses with a 409 when the NFT is not approved for the listing.

Consumer side: trading's real RestNftMarketplace adapter (generated client) talks to pact's
mock nft service; the resulting pact must equal the committed one in contracts/pacts/
(regenerate with CAPSURE_UPDATE_PACTS=1). Provider side: a real nft process is verified
against the committed pact, with provider states set up through its own API; an NFT's id is
nft's to choose, so the states answer with it and pact puts it into the requests.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest
from pact import Pact, generate, match
from pact.match.matcher import GenericMatcher

from services.trading.adapters.nft_marketplace import RestNftMarketplace
from services.trading.service_layer.ports import Transferred, TransferRefused, TransferRequest
from tests.support.pact_states import state_server
from tests.support.pacts import PACTS, assert_committed, interactions, verified_interactions
from tests.support.platform import running_services
from tests.support.tokens import bearer, jwks_url, token_for

pytestmark = pytest.mark.contract

PACT_FILE = PACTS / "trading-nft.json"
SELLER = UUID("3b5d7f91-a2c4-4e68-8b0d-1f3a5c7e9b2d")
BUYER = UUID("8e0a2c4e-6a8c-4e0a-9c2e-4a6c8e0a2c4e")
NFT = UUID("5c7e9a1b-3d5f-4a7b-9c1d-3e5f7a9b1c3d")
LISTING = UUID("9d1f3b5d-7f9b-4d1f-8b3d-5f7b9d1f3b5d")
OTHER_LISTING = UUID("1a3c5e7a-9c1e-4a3c-8e5a-7c9e1a3c5e7a")
PURCHASE_KEY = "purchase-6e8a0c2e-4a6c-4e8a-9c0e-2a4c6e8a0c2e"
REFUSED_KEY = "purchase-2c4e6a8c-0e2a-4c6e-8a0c-6e8a0c2e4a6c"
UUID_RE = r"^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$"
JWT = r"^Bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"
EXAMPLE_TOKEN = "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
TX_HASH = r"^[0-9a-f]{64}$"

OWNED = "an NFT owned by the seller"
APPROVED = "an NFT owned by the seller and approved for the listing"
APPROVED_ELSEWHERE = "an NFT owned by the seller and approved for another listing"


def trading_nft_pact() -> Pact:
    return Pact("trading", "nft").with_specification("V4")


def from_state(example: str, regex: str, expression: str) -> GenericMatcher[str]:
    """The consumer's example here; at verification, the value the provider state answered."""
    return GenericMatcher(
        "regex", example, regex=regex, generator=generate.provider_state(expression)
    )


def approval_path() -> GenericMatcher[str]:
    return from_state(
        f"/api/nfts/{NFT}/sale-approval",
        r"^/api/nfts/[0-9a-f-]{36}/sale-approval$",
        "/api/nfts/${nftId}/sale-approval",
    )


def nft_body(owner: UUID, sale_listing: UUID | None) -> dict[str, Any]:
    # What the generated client needs to read an Nft (its required fields), plus what the
    # marketplace reads of it: the approval, and the last transaction's hash.
    return {
        "id": from_state(str(NFT), UUID_RE, "${nftId}"),
        "name": match.str("Genesis Ape"),
        "description": match.str("the first one"),
        "metadata": match.like({}),
        "ownerId": match.uuid(str(owner)),
        "creatorId": match.uuid(str(SELLER)),
        "createdAt": match.regex("2026-01-01T00:00:00.000000Z", regex=TIMESTAMP),
        "updatedAt": match.regex("2026-01-01T00:00:00.000000Z", regex=TIMESTAMP),
        "hidden": match.bool(False),
        "lastTxHash": match.regex("ab" * 32, regex=TX_HASH),
        "saleListingId": None if sale_listing is None else match.uuid(str(sale_listing)),
    }


def transfer_body() -> dict[str, Any]:
    return {
        "listingId": match.uuid(str(LISTING)),
        "nftId": from_state(str(NFT), UUID_RE, "${nftId}"),
        "sellerId": match.uuid(str(SELLER)),
        "buyerId": match.uuid(str(BUYER)),
    }


def a_sale() -> TransferRequest:
    return TransferRequest(listing_id=LISTING, nft_id=NFT, seller_id=SELLER, buyer_id=BUYER)


async def test_consumer_has_a_listing_approved_with_the_sellers_token(pact_dir):
    pact = trading_nft_pact()
    (
        pact.upon_receiving("a request to approve an NFT's sale through a listing")
        .given(OWNED, sellerId=str(SELLER))
        .with_request("PUT", approval_path())
        .with_header("Authorization", match.regex(EXAMPLE_TOKEN, regex=JWT))
        .with_body({"listingId": match.uuid(str(LISTING))}, content_type="application/json")
        .will_respond_with(200)
        .with_body(nft_body(SELLER, LISTING), content_type="application/json")
    )
    with pact.serve() as server:
        nft = RestNftMarketplace(str(server.url), 2.0)
        try:
            await nft.approve_sale(NFT, LISTING, bearer=token_for(SELLER))
        finally:
            await nft.aclose()
    pact.write_file(pact_dir, overwrite=False)


async def test_consumer_withdraws_a_listings_approval(pact_dir):
    pact = trading_nft_pact()
    (
        pact.upon_receiving("a request to withdraw a listing's sale approval")
        .given(APPROVED, sellerId=str(SELLER), listingId=str(LISTING))
        .with_request("DELETE", approval_path())
        .with_query_parameters({"listingId": match.uuid(str(LISTING))})
        .with_header("Authorization", match.regex(EXAMPLE_TOKEN, regex=JWT))
        .will_respond_with(200)
        .with_body(nft_body(SELLER, None), content_type="application/json")
    )
    with pact.serve() as server:
        nft = RestNftMarketplace(str(server.url), 2.0)
        try:
            await nft.withdraw_approval(NFT, LISTING, bearer=token_for(SELLER))
        finally:
            await nft.aclose()
    pact.write_file(pact_dir, overwrite=False)


async def test_consumer_has_a_sold_nft_transferred_once_per_purchase(pact_dir):
    pact = trading_nft_pact()
    (
        pact.upon_receiving("a purchase's transfer of a sold NFT")
        .given(APPROVED, sellerId=str(SELLER), listingId=str(LISTING))
        .with_request("POST", "/internal/marketplace-transfers")
        .with_header(
            "Idempotency-Key", match.regex(PURCHASE_KEY, regex=r"^purchase-[0-9a-f-]{36}$")
        )
        .with_body(transfer_body(), content_type="application/json")
        .will_respond_with(200)
        .with_body(nft_body(BUYER, None), content_type="application/json")
    )
    with pact.serve() as server:
        nft = RestNftMarketplace(str(server.url), 2.0)
        try:
            outcome = await nft.transfer_sold(a_sale(), key=PURCHASE_KEY)
        finally:
            await nft.aclose()
    assert outcome == Transferred("ab" * 32)
    pact.write_file(pact_dir, overwrite=False)


async def test_consumer_learns_that_nft_refuses_the_transfer(pact_dir):
    pact = trading_nft_pact()
    (
        pact.upon_receiving("a purchase's transfer of an NFT not approved for the listing")
        .given(APPROVED_ELSEWHERE, sellerId=str(SELLER), listingId=str(OTHER_LISTING))
        .with_request("POST", "/internal/marketplace-transfers")
        .with_header("Idempotency-Key", match.regex(REFUSED_KEY, regex=r"^purchase-[0-9a-f-]{36}$"))
        .with_body(transfer_body(), content_type="application/json")
        .will_respond_with(409)
        .with_body(
            {
                "title": match.str("Conflict"),
                "status": match.int(409),
                "detail": match.str("NFT is not approved for sale through this listing"),
            },
            content_type="application/problem+json",
        )
    )
    with pact.serve() as server:
        nft = RestNftMarketplace(str(server.url), 2.0)
        try:
            outcome = await nft.transfer_sold(a_sale(), key=REFUSED_KEY)
        finally:
            await nft.aclose()
    assert outcome == TransferRefused(409, "NFT is not approved for sale through this listing")
    pact.write_file(pact_dir, overwrite=False)


def test_generated_pact_matches_the_committed_contract(pact_dir):
    assert_committed(pact_dir, "trading-nft", "tests/contract/test_pact_trading_nft.py")


def test_nft_provider_honours_the_trading_pact(tmp_path):
    # nft trusts the test signing key, so the token the verifier sends is a real, valid one.
    env = {"CAPSURE_JWKS_URL": jwks_url()}
    with running_services(tmp_path, ["nft"], extra_env=env) as services:
        nft = services["nft"]

        def setup(state: str, params: dict[str, Any]) -> dict[str, str]:
            # States are reached through the provider's own API, never its tables.
            seller = bearer(UUID(params["sellerId"]))
            minted = httpx.post(f"{nft.url}/api/nfts", json={"name": "Genesis Ape"}, headers=seller)
            minted.raise_for_status()
            nft_id = minted.json()["id"]
            if "listingId" in params:
                approved = httpx.put(
                    f"{nft.url}/api/nfts/{nft_id}/sale-approval",
                    json={"listingId": params["listingId"]},
                    headers=seller,
                )
                approved.raise_for_status()
            return {"nftId": nft_id}

        with state_server(setup) as state_url:
            verified = verified_interactions(
                "nft", nft.url, PACT_FILE, state_url, bearer=token_for(SELLER)
            )
    assert verified == len(interactions(PACT_FILE)) == 4
