"""The marketplace operations and the receiver check on the nft REST API, on fakes: statuses,
problem answers, `saleListingId` in every NFT, and Idempotency-Key on the internal transfer."""

from uuid import uuid4

import pytest

from services.common.workload_identity import XFCC_HEADER as XFCC
from services.nft.bootstrap import bootstrap, build_deps
from services.nft.config import NftSettings
from services.nft.domain.ledger import TxKind
from tests.support.asgi import asgi_client
from tests.support.callers import called_by
from tests.support.tokens import bearer, jwks_url, token_for
from tests.unit.nft_fakes import InMemoryNftRepository, InMemoryUserDirectory

pytestmark = pytest.mark.unit

ALICE, BOB, CAROL = uuid4(), uuid4(), uuid4()
LISTING, OTHER_LISTING = str(uuid4()), str(uuid4())
PROBLEM = "application/problem+json"
SOLD = "/internal/marketplace-transfers"


@pytest.fixture
def users() -> InMemoryUserDirectory:
    return InMemoryUserDirectory(ALICE, BOB, CAROL)


@pytest.fixture
def repo() -> InMemoryNftRepository:
    return InMemoryNftRepository()


@pytest.fixture
async def client(repo, users):
    """Called through nft's sidecar by trading (the only caller the internal transfer admits);
    the public operations take no notice of who forwarded them."""
    settings = NftSettings(validate_responses=True, jwks_url=jwks_url())
    app = bootstrap(settings, deps=build_deps(repo, users))
    async with asgi_client(app, headers=called_by("trading")) as client:
        yield client


@pytest.mark.parametrize(
    "caller",
    [pytest.param("", id="no-verified-caller"), pytest.param(called_by("user")[XFCC], id="user")],
)
async def test_only_trading_may_move_a_sold_nft(client, repo, caller):
    nft = await mint(client)
    await approve(client, nft)
    headers = {XFCC: caller, "Idempotency-Key": "theft"}
    response = await client.post(SOLD, json=sale(nft), headers=headers)
    assert (response.status_code, response.headers["content-type"]) == (403, PROBLEM)
    assert "trading" in response.json()["detail"]
    assert transfers(repo) == 0


async def mint(client, owner=ALICE) -> dict:
    response = await client.post("/api/nfts", json={"name": "Ape"}, headers=bearer(owner))
    assert response.status_code == 201, response.text
    return response.json()


async def approve(client, nft: dict, owner=ALICE, listing=LISTING):
    return await client.put(
        f"/api/nfts/{nft['id']}/sale-approval", json={"listingId": listing}, headers=bearer(owner)
    )


def sale(nft: dict, listing=LISTING, seller=ALICE, buyer=BOB) -> dict:
    return {
        "listingId": listing,
        "nftId": nft["id"],
        "sellerId": str(seller),
        "buyerId": str(buyer),
    }


def transfers(repo: InMemoryNftRepository) -> int:
    return sum(tx.kind is TxKind.TRANSFER for tx in repo.chain.transactions)


async def test_a_minted_nft_has_no_sale_approval(client):
    nft = await mint(client)
    assert nft["saleListingId"] is None


async def test_the_owner_approves_and_every_read_shows_the_listing(client):
    nft = await mint(client)
    response = await approve(client, nft)
    assert response.status_code == 200
    assert response.json()["saleListingId"] == LISTING
    assert (await client.get(f"/api/nfts/{nft['id']}")).json()["saleListingId"] == LISTING
    [listed] = (await client.get(f"/api/nfts/user/{ALICE}")).json()
    assert listed["saleListingId"] == LISTING
    replaced = await approve(client, nft, listing=OTHER_LISTING)
    assert replaced.json()["saleListingId"] == OTHER_LISTING


async def test_approval_statuses(client):
    nft = await mint(client)
    assert (await approve(client, nft, owner=BOB)).status_code == 403
    assert (await approve(client, {"id": str(uuid4())})).status_code == 404
    url = f"/api/nfts/{nft['id']}/sale-approval"
    no_token = await client.put(url, json={"listingId": LISTING})
    assert no_token.status_code == 401
    for body in ({}, {"listingId": "not-a-uuid"}, {"listingId": LISTING, "price": 1}):
        bad = await client.put(url, json=body, headers=bearer(ALICE))
        assert bad.status_code == 400, body
    moderator = bearer(CAROL, roles=["Moderator"])
    await client.put(f"/api/nfts/{nft['id']}/moderation", json={"hidden": True}, headers=moderator)
    hidden = await approve(client, nft)
    assert (hidden.status_code, hidden.headers["content-type"]) == (409, PROBLEM)
    assert "hidden" in hidden.json()["detail"]


async def test_the_owner_withdraws_an_approval_and_only_for_its_listing(client):
    nft = await mint(client)
    url = f"/api/nfts/{nft['id']}/sale-approval"
    nothing = await client.delete(url, headers=bearer(ALICE))
    assert (nothing.status_code, nothing.json()["saleListingId"]) == (200, None)
    await approve(client, nft)
    other = await client.delete(url, params={"listingId": OTHER_LISTING}, headers=bearer(ALICE))
    assert (other.status_code, other.json()["saleListingId"]) == (200, LISTING)
    assert (await client.delete(url, headers=bearer(BOB))).status_code == 403
    gone = await client.delete(url, params={"listingId": LISTING}, headers=bearer(ALICE))
    assert (gone.status_code, gone.json()["saleListingId"]) == (200, None)
    assert (await client.get(f"/api/nfts/{nft['id']}")).json()["saleListingId"] is None


async def test_the_marketplace_transfers_a_sold_nft_without_a_token(client, repo):
    nft = await mint(client)
    await approve(client, nft)
    sold = await client.post(SOLD, json=sale(nft), headers={"Idempotency-Key": "purchase-1"})
    assert sold.status_code == 200, sold.text
    assert (sold.json()["ownerId"], sold.json()["saleListingId"]) == (str(BOB), None)
    assert (await client.get(f"/api/nfts/{nft['id']}")).json() == sold.json()
    ownership = (await client.get(f"/api/nfts/{nft['id']}/ownership")).json()
    assert [(r["from"], r["to"]) for r in ownership[1:]] == [(str(ALICE), str(BOB))]


async def test_a_repeated_purchase_step_transfers_once(client, repo):
    nft = await mint(client)
    await approve(client, nft)
    key = {"Idempotency-Key": "purchase-2"}
    first = await client.post(SOLD, json=sale(nft), headers=key)
    again = await client.post(SOLD, json=sale(nft), headers=key)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert transfers(repo) == 1
    other_purchase = await client.post(SOLD, json=sale(nft), headers={"Idempotency-Key": "p-3"})
    assert other_purchase.status_code == 409  # sold already: Alice no longer owns it
    assert transfers(repo) == 1


async def test_the_marketplace_transfer_requires_an_idempotency_key(client, repo):
    nft = await mint(client)
    await approve(client, nft)
    response = await client.post(SOLD, json=sale(nft))
    assert response.status_code == 400
    assert transfers(repo) == 0


async def test_marketplace_transfer_refusals_are_problems(client, repo):
    nft = await mint(client)
    await approve(client, nft)
    cases = {
        "not approved for sale through listing": sale(nft, listing=OTHER_LISTING),
        "the seller no longer owns it": sale(nft, seller=CAROL),
        "already belongs to that user": sale(nft, buyer=ALICE),
    }
    for index, (detail, body) in enumerate(cases.items()):
        response = await client.post(SOLD, json=body, headers={"Idempotency-Key": f"k{index}"})
        assert (response.status_code, response.headers["content-type"]) == (409, PROBLEM)
        assert detail in response.json()["detail"]
    unknown = sale({"id": str(uuid4())})
    response = await client.post(SOLD, json=unknown, headers={"Idempotency-Key": "k-unknown"})
    assert response.status_code == 404
    assert transfers(repo) == 0


async def test_an_owners_transfer_ends_the_approval(client):
    nft = await mint(client)
    await approve(client, nft)
    moved = await client.post(
        f"/api/nfts/{nft['id']}/transfer", json={"toUserId": str(CAROL)}, headers=bearer(ALICE)
    )
    assert (moved.status_code, moved.json()["saleListingId"]) == (200, None)
    late = await client.post(SOLD, json=sale(nft), headers={"Idempotency-Key": "late"})
    assert late.status_code == 409


async def test_the_receiver_is_asked_with_the_callers_own_token(client, users):
    nft = await mint(client)
    token = token_for(ALICE)
    response = await client.post(
        f"/api/nfts/{nft['id']}/transfer",
        json={"toUserId": str(BOB)},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    assert users.asked == [(BOB, token)]


async def test_an_unknown_receiver_is_422_naming_it(client, repo):
    nft = await mint(client)
    stranger = str(uuid4())
    response = await client.post(
        f"/api/nfts/{nft['id']}/transfer", json={"toUserId": stranger}, headers=bearer(ALICE)
    )
    assert (response.status_code, response.headers["content-type"]) == (422, PROBLEM)
    assert "unknown receiver" in response.json()["detail"]
    assert stranger in response.json()["detail"]
    assert transfers(repo) == 0


async def test_a_user_service_outage_is_503_and_a_keyed_retry_is_not_a_replay(client, users):
    nft = await mint(client)
    users.down()
    url = f"/api/nfts/{nft['id']}/transfer"
    keyed = {**bearer(ALICE), "Idempotency-Key": "t-1"}
    down = await client.post(url, json={"toUserId": str(BOB)}, headers=keyed)
    assert (down.status_code, down.headers["content-type"]) == (503, PROBLEM)
    assert down.headers["retry-after"] == "1"
    users.up()
    retried = await client.post(url, json={"toUserId": str(BOB)}, headers=keyed)
    assert retried.status_code == 200
    assert "idempotent-replayed" not in retried.headers


async def test_a_non_owner_learns_nothing_about_the_receiver(client, users):
    nft = await mint(client)
    response = await client.post(
        f"/api/nfts/{nft['id']}/transfer", json={"toUserId": str(uuid4())}, headers=bearer(BOB)
    )
    assert response.status_code == 403
    assert users.asked == []
