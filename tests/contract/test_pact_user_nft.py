"""Consumer-driven contract for the user -> nft REST call (the seed's GET /api/nfts/user/{id}),
which carries the caller's bearer token on to nft.

Consumer side: the user service's real NftCatalog adapter (generated client) talks to pact's
mock nft service; the resulting pact must equal the committed one in contracts/pacts/
(regenerate with CAPSURE_UPDATE_PACTS=1). Provider side: the real nft service process is
verified against the committed pact, with provider states set up through its own API.
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

import httpx
import pytest
from pact import Pact, match

from services.user.adapters.nft_catalog import RestNftCatalog
from tests.support.pacts import PACTS, assert_committed, interactions, verified_interactions
from tests.support.platform import running_services
from tests.support.tokens import bearer, jwks_url, token_for

pytestmark = pytest.mark.contract

PACT_FILE = PACTS / "user-nft.json"
OWNER = UUID("6f1c7a52-3c4e-4f43-9d6a-0b7f1c2d3e4f")
NOBODY = UUID("0d3b8f7e-2a61-4c59-8e3f-5a1b2c3d4e5f")
JWT = r"^Bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"
EXAMPLE_TOKEN = "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"


NFT_SHAPE = {
    "id": match.uuid("9b2f6c1e-4d7a-4e38-a1f0-3c5d7e9f1a2b"),
    "name": match.str("Genesis Ape"),
    "description": match.str("the first one"),
    # image and creator are optional in nft's contract: the consumer must not demand them.
    "metadata": match.like(
        {"attributes": match.each_like({"traitType": "eyes", "value": "blue"}, min=0)}
    ),
    "ownerId": match.uuid(str(OWNER)),
    "creatorId": match.uuid(str(OWNER)),
    "createdAt": match.regex("2026-01-01T00:00:00.000000Z", regex=TIMESTAMP),
    "updatedAt": match.regex("2026-01-01T00:00:00.000000Z", regex=TIMESTAMP),
    "hidden": match.bool(False),
}


def user_nft_pact() -> Pact:
    return Pact("user", "nft").with_specification("V4")


def list_request(pact: Pact, owner: UUID, state: str, description: str) -> Any:
    return (
        pact.upon_receiving(description)
        .given(state, userId=str(owner))
        .with_request("GET", f"/api/nfts/user/{owner}")
        .with_query_parameters({"limit": "50", "offset": "0"})
        .with_header("Authorization", match.regex(EXAMPLE_TOKEN, regex=JWT))
    )


async def test_consumer_lists_an_owners_nfts(pact_dir):
    pact = user_nft_pact()
    (
        list_request(pact, OWNER, "a user owns NFTs", "a request for the NFTs of an owner")
        .will_respond_with(200)
        .with_body(match.each_like(NFT_SHAPE, min=1), content_type="application/json")
    )
    with pact.serve() as server:
        nfts = await RestNftCatalog(str(server.url), 2.0).list_owned(
            OWNER, limit=50, offset=0, bearer_token=token_for(OWNER)
        )
    assert nfts and all(UUID(n["ownerId"]) == OWNER for n in nfts)
    pact.write_file(pact_dir, overwrite=False)


async def test_consumer_lists_nothing_for_a_user_without_nfts(pact_dir):
    pact = user_nft_pact()
    (
        list_request(pact, NOBODY, "a user owns no NFTs", "a request for the NFTs of a non-owner")
        .will_respond_with(200)
        .with_body([], content_type="application/json")
    )
    with pact.serve() as server:
        nfts = await RestNftCatalog(str(server.url), 2.0).list_owned(
            NOBODY, limit=50, offset=0, bearer_token=token_for(NOBODY)
        )
    assert nfts == []
    pact.write_file(pact_dir, overwrite=False)


def test_generated_pact_matches_the_committed_contract(pact_dir):
    assert_committed(pact_dir, "user-nft", "tests/contract/test_pact_user_nft.py")


def test_nft_provider_honours_the_user_pact(tmp_path):
    # nft trusts the test signing key, so the token the verifier sends is a real, valid one.
    env = {"CAPSURE_JWKS_URL": jwks_url()}
    with running_services(tmp_path, ["nft"], extra_env=env) as services:
        nft = services["nft"]

        def provider_state(
            state: str, action: Literal["setup", "teardown"], parameters: dict[str, Any] | None
        ) -> None:
            # States are reached through the provider's own API, never its tables.
            if action == "setup" and state == "a user owns NFTs":
                owner = UUID((parameters or {})["userId"])
                response = httpx.post(
                    f"{nft.url}/api/nfts",
                    json={
                        "name": "Genesis Ape",
                        "metadata": {"image": "https://img.example/a.png"},
                    },
                    headers=bearer(owner),
                )
                response.raise_for_status()

        verified = verified_interactions(
            "nft", nft.url, PACT_FILE, provider_state, bearer=token_for(OWNER)
        )
    assert verified == len(interactions(PACT_FILE)) == 2
