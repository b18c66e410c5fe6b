"""The nft REST API on fakes: contract validation, auth and the error mapping."""

import re
from uuid import uuid4

import pytest

from services.nft.bootstrap import bootstrap, build_deps
from services.nft.config import NftSettings
from tests.support.asgi import asgi_client
from tests.support.forgeries import forged_tokens
from tests.support.tokens import bearer, jwks_url
from tests.unit.nft_fakes import InMemoryNftRepository, InMemoryUserDirectory

pytestmark = pytest.mark.unit

ALICE, BOB, CAROL = uuid4(), uuid4(), uuid4()
PROBLEM = "application/problem+json"
TX_HASH = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture
def users() -> InMemoryUserDirectory:
    return InMemoryUserDirectory(ALICE, BOB, CAROL)


@pytest.fixture
async def client(users):
    settings = NftSettings(validate_responses=True, jwks_url=jwks_url())
    app = bootstrap(settings, deps=build_deps(InMemoryNftRepository(), users))
    async with asgi_client(app) as client:
        yield client


async def mint(client, owner=ALICE, **body):
    response = await client.post("/api/nfts", json={"name": "Ape", **body}, headers=bearer(owner))
    assert response.status_code == 201, response.text
    return response.json()


async def test_mint_returns_the_nft_and_its_location(client):
    body = {
        "name": "Ape #1",
        "description": "first",
        "metadata": {
            "image": "https://img.example/1.png",
            "attributes": [{"traitType": "eyes", "value": "blue"}],
            "creator": "Alice",
        },
    }
    response = await client.post("/api/nfts", json=body, headers=bearer(ALICE))
    assert response.status_code == 201
    nft = response.json()
    assert response.headers["location"] == f"/api/nfts/{nft['id']}"
    assert nft["ownerId"] == nft["creatorId"] == str(ALICE)
    assert nft["metadata"] == body["metadata"]
    assert (await client.get(response.headers["location"])).json() == nft


async def test_seed_path_lists_a_users_nfts(client):
    first, second = await mint(client, name="a"), await mint(client, name="b")
    await mint(client, owner=BOB)
    response = await client.get(f"/api/nfts/user/{ALICE}")
    assert response.status_code == 200
    assert {n["id"] for n in response.json()} == {first["id"], second["id"]}


FORGED = forged_tokens(ALICE)


@pytest.mark.parametrize("case", ["no token", *sorted(FORGED)])
async def test_mint_without_a_valid_token_is_401(client, case):
    headers = {"Authorization": f"Bearer {FORGED[case]}"} if case in FORGED else {}
    response = await client.post("/api/nfts", json={"name": "Ape"}, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": "a", "ownerId": str(BOB)}, {"name": "a" * 129}],
    ids=["no name", "empty name", "extra field", "too long"],
)
async def test_bad_mint_bodies_are_400(client, body):
    response = await client.post("/api/nfts", json=body, headers=bearer(ALICE))
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM


async def test_body_that_is_not_utf8_is_400_not_500(client):
    response = await client.post(
        "/api/nfts",
        content=b'{"name": "\xff\xfe"}',
        headers={**bearer(ALICE), "Content-Type": "application/json"},
    )
    assert response.status_code == 400


async def test_unknown_and_malformed_ids(client):
    assert (await client.get(f"/api/nfts/{uuid4()}")).status_code == 404
    assert (await client.get("/api/nfts/not-a-uuid")).status_code == 400


async def test_transfer_rules_map_to_statuses(client):
    nft = await mint(client)
    url = f"/api/nfts/{nft['id']}/transfer"
    by_bob = await client.post(url, json={"toUserId": str(BOB)}, headers=bearer(BOB))
    assert by_bob.status_code == 403
    to_self = await client.post(url, json={"toUserId": str(ALICE)}, headers=bearer(ALICE))
    assert to_self.status_code == 409
    moved = await client.post(url, json={"toUserId": str(BOB)}, headers=bearer(ALICE))
    assert moved.status_code == 200
    assert moved.json()["ownerId"] == str(BOB)


async def test_405_lists_the_methods_the_contract_declares(client):
    response = await client.delete(f"/api/nfts/{uuid4()}")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, PATCH"


async def test_health_and_docs_are_served(client):
    assert (await client.get("/healthz")).json()["status"] == "ok"
    assert (await client.get("/api/nfts/openapi.json")).status_code == 200
    assert (await client.get("/api/nfts/ui/")).status_code == 200


async def test_image_must_be_a_real_url(client):
    response = await client.post(
        "/api/nfts",
        json={"name": "a", "metadata": {"image": "https://\u00cf"}},
        headers=bearer(ALICE),
    )
    assert response.status_code == 400


async def test_the_owner_updates_details_and_others_cannot(client):
    nft = await mint(client, description="old")
    url = f"/api/nfts/{nft['id']}"
    by_bob = await client.patch(url, json={"name": "Mine now"}, headers=bearer(BOB))
    assert by_bob.status_code == 403
    assert by_bob.headers["content-type"] == PROBLEM
    assert (await client.get(url)).json() == nft
    changed = await client.patch(
        url, json={"metadata": {"image": "https://img.example/2.png"}}, headers=bearer(ALICE)
    )
    assert changed.status_code == 200
    assert changed.json()["metadata"]["image"] == "https://img.example/2.png"
    assert (changed.json()["name"], changed.json()["description"]) == ("Ape", "old")


@pytest.mark.parametrize(
    "body", [{}, {"ownerId": str(BOB)}, {"name": "x", "creatorId": str(BOB)}, {"name": ""}]
)
async def test_bad_updates_are_400_and_change_nothing(client, body):
    nft = await mint(client)
    url = f"/api/nfts/{nft['id']}"
    response = await client.patch(url, json=body, headers=bearer(ALICE))
    assert response.status_code == 400
    assert (await client.get(url)).json() == nft


@pytest.mark.parametrize(("roles", "status"), [(["User"], 403), (["Developer"], 403)])
async def test_only_moderators_and_admins_moderate(client, roles, status):
    nft = await mint(client)
    url = f"/api/nfts/{nft['id']}/moderation"
    response = await client.put(url, json={"hidden": True}, headers=bearer(BOB, roles=roles))
    assert response.status_code == status
    assert (await client.get(f"/api/nfts/{nft['id']}")).json()["hidden"] is False


@pytest.mark.parametrize("role", ["Moderator", "Admin"])
async def test_a_hidden_nft_leaves_the_public_listing_and_can_come_back(client, role):
    nft = await mint(client)
    url = f"/api/nfts/{nft['id']}/moderation"
    moderator = bearer(BOB, roles=[role])
    hidden = await client.put(url, json={"hidden": True, "reason": "spam"}, headers=moderator)
    assert hidden.status_code == 200
    assert (hidden.json()["hidden"], hidden.json()["hiddenReason"]) == (True, "spam")
    assert hidden.json()["ownerId"] == str(ALICE)
    assert (await client.get(f"/api/nfts/user/{ALICE}")).json() == []
    assert (await client.get(f"/api/nfts/{nft['id']}")).json()["hidden"] is True
    shown = await client.put(url, json={"hidden": False}, headers=moderator)
    assert (shown.json()["hidden"], shown.json()["hiddenReason"]) == (False, None)
    assert [n["id"] for n in (await client.get(f"/api/nfts/user/{ALICE}")).json()] == [nft["id"]]


async def test_an_nft_carries_its_token_and_chain_transactions(client):
    first, second = await mint(client), await mint(client)
    assert (first["tokenId"], second["tokenId"]) == (1, 2)
    assert TX_HASH.match(first["mintTxHash"])
    assert first["lastTxHash"] == first["mintTxHash"] != second["mintTxHash"]
    assert first["version"] == 1
    moved = await client.post(
        f"/api/nfts/{first['id']}/transfer", json={"toUserId": str(BOB)}, headers=bearer(ALICE)
    )
    assert moved.json()["mintTxHash"] == first["mintTxHash"]
    assert moved.json()["lastTxHash"] not in (first["mintTxHash"], second["mintTxHash"])
    assert (await client.get(f"/api/nfts/{first['id']}")).json() == moved.json()


async def test_ownership_lists_the_mint_then_each_transfer(client):
    nft = await mint(client)
    url = f"/api/nfts/{nft['id']}"
    last = nft
    for sender, receiver in ((ALICE, BOB), (BOB, CAROL)):
        response = await client.post(
            f"{url}/transfer", json={"toUserId": str(receiver)}, headers=bearer(sender)
        )
        last = response.json()
    ownership = await client.get(f"{url}/ownership")  # public, like a chain
    assert ownership.status_code == 200
    records = ownership.json()
    assert [(r["kind"], r["from"], r["to"]) for r in records] == [
        ("mint", None, str(ALICE)),
        ("transfer", str(ALICE), str(BOB)),
        ("transfer", str(BOB), str(CAROL)),
    ]
    assert [r["blockNumber"] for r in records] == [1, 2, 3]
    assert records[0]["txHash"] == nft["mintTxHash"]
    assert records[-1]["txHash"] == last["lastTxHash"]
    assert records[-1]["at"] == last["updatedAt"]
    page = await client.get(f"{url}/ownership", params={"limit": 1, "offset": 1})
    assert page.json() == records[1:2]


async def test_the_owners_edits_are_kept_as_versions_and_others_add_none(client):
    nft = await mint(client, name="First", description="one")
    url = f"/api/nfts/{nft['id']}"
    refused = await client.patch(url, json={"name": "Bob's"}, headers=bearer(BOB))
    assert refused.status_code == 403
    image = {"image": "https://img.example/2.png"}
    second = await client.patch(url, json={"metadata": image}, headers=bearer(ALICE))
    third = await client.patch(url, json={"name": "Third"}, headers=bearer(ALICE))
    assert (second.json()["version"], third.json()["version"]) == (2, 3)
    history = await client.get(f"{url}/history")
    assert history.status_code == 200
    versions = history.json()
    assert [(v["version"], v["name"], v["description"]) for v in versions] == [
        (3, "Third", "one"),
        (2, "First", "one"),
        (1, "First", "one"),
    ]
    assert versions[1]["metadata"] == {"attributes": [], **image}
    assert versions[0]["changedAt"] == third.json()["updatedAt"]
    assert versions[-1]["changedAt"] == nft["createdAt"]
    assert {v["changedBy"] for v in versions} == {str(ALICE)}
    page = await client.get(f"{url}/history", params={"limit": 2, "offset": 2})
    assert [v["version"] for v in page.json()] == [1]


@pytest.mark.parametrize("view", ["history", "ownership"])
async def test_views_of_unknown_nfts_and_bad_pages(client, view):
    assert (await client.get(f"/api/nfts/{uuid4()}/{view}")).status_code == 404
    nft = await mint(client)
    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}):
        response = await client.get(f"/api/nfts/{nft['id']}/{view}", params=params)
        assert response.status_code == 400
        assert response.headers["content-type"] == PROBLEM


VERIFY = "/api/nfts/ledger/verify"


async def test_admins_verify_the_chain(client):
    nft = await mint(client)
    await client.post(
        f"/api/nfts/{nft['id']}/transfer", json={"toUserId": str(BOB)}, headers=bearer(ALICE)
    )
    response = await client.get(VERIFY, headers=bearer(CAROL, roles=["Admin"]))
    assert response.status_code == 200
    assert response.json() == {"entries": 2, "valid": True, "firstInvalidBlock": None}


@pytest.mark.parametrize("roles", [["User"], ["Moderator"], ["Developer"]])
async def test_only_admins_verify_the_chain(client, roles):
    response = await client.get(VERIFY, headers=bearer(ALICE, roles=roles))
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM


async def test_verifying_without_a_token_is_401(client):
    response = await client.get(VERIFY)
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
