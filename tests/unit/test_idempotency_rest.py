"""Idempotency-Key on the nft API, in-process on fakes (the in-memory store): replay, mismatch,
per-caller keys (a token's subject, else the workload that called), and operations without a
key untouched."""

from uuid import uuid4

import pytest

from services.common.contracts import BY_OPERATION, CONTRACTS, load_contract
from services.common.headers import IDEMPOTENCY_KEY
from services.common.idempotency import operations_with_key
from services.nft.bootstrap import bootstrap, build_deps
from services.nft.config import NftSettings
from services.notification.bootstrap import bootstrap as notification_app
from services.notification.bootstrap import build_deps as notification_deps
from services.notification.config import NotificationSettings
from services.user.bootstrap import bootstrap as user_app
from services.user.config import UserSettings
from tests.support.asgi import asgi_client
from tests.support.callers import called_by
from tests.support.tokens import bearer, jwks_url
from tests.unit.nft_fakes import InMemoryNftRepository, InMemoryUserDirectory
from tests.unit.notification_fakes import FakeDatabase
from tests.unit.user_fakes import fake_adapters

pytestmark = pytest.mark.unit

ALICE, BOB = uuid4(), uuid4()
BODY = {"name": "Once"}


@pytest.fixture
def repo() -> InMemoryNftRepository:
    return InMemoryNftRepository()


@pytest.fixture
async def client(repo):
    settings = NftSettings(validate_responses=True, jwks_url=jwks_url())
    deps = build_deps(repo, InMemoryUserDirectory(ALICE, BOB))
    async with asgi_client(bootstrap(settings, deps=deps)) as client:
        yield client


def keyed(user=ALICE, key="key-1") -> dict[str, str]:
    return {**bearer(user), "Idempotency-Key": key}


async def test_a_retried_mint_is_replayed_not_repeated(client, repo):
    first = await client.post("/api/nfts", json=BODY, headers=keyed())
    again = await client.post("/api/nfts", json=BODY, headers=keyed())
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert len(repo.nfts) == 1


async def test_the_same_key_on_another_request_is_422(client, repo):
    await client.post("/api/nfts", json=BODY, headers=keyed())
    other = await client.post("/api/nfts", json={"name": "Other"}, headers=keyed())
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert len(repo.nfts) == 1


async def test_keys_belong_to_their_caller(client, repo):
    alices = await client.post("/api/nfts", json=BODY, headers=keyed(ALICE))
    bobs = await client.post("/api/nfts", json=BODY, headers=keyed(BOB))
    assert alices.json()["id"] != bobs.json()["id"]
    assert bobs.json()["ownerId"] == str(BOB)
    assert len(repo.nfts) == 2


async def test_without_a_key_every_request_counts(client, repo):
    for _ in range(2):
        assert (await client.post("/api/nfts", json=BODY, headers=bearer(ALICE))).status_code == 201
    assert len(repo.nfts) == 2


async def test_a_failed_request_stores_nothing_and_can_be_retried(client, repo):
    minted = (await client.post("/api/nfts", json=BODY, headers=bearer(ALICE))).json()
    url = f"/api/nfts/{minted['id']}/transfer"
    refused = await client.post(url, json={"toUserId": str(ALICE)}, headers=keyed(key="t"))
    assert refused.status_code == 409  # to its current owner
    moved = await client.post(url, json={"toUserId": str(BOB)}, headers=keyed(key="t"))
    assert moved.status_code == 200
    replayed = await client.post(url, json={"toUserId": str(BOB)}, headers=keyed(key="t"))
    assert replayed.json() == moved.json()
    assert replayed.headers["idempotent-replayed"] == "true"


def notification_client(**settings: object):
    db = FakeDatabase()
    configured = NotificationSettings(validate_responses=True, jwks_url=jwks_url(), **settings)
    deps = notification_deps(db.notifications, db.alerts, db.prices)
    return asgi_client(notification_app(configured, deps=deps))


@pytest.fixture
async def notification():
    """Internal operations, called without a token: the caller is the workload the sidecar
    verified (tests.support.callers.called_by, per request)."""
    async with notification_client() as client:
        yield client


TICKS, EVENTS = "/internal/price-ticks", "/internal/notification-events"


def tick(price: float) -> dict:
    return {"assetSymbol": "ETH-USD", "price": price, "timestamp": 1}


def event() -> dict:
    return {
        "eventId": str(uuid4()),
        "type": "nft.minted",
        "userId": str(ALICE),
        "occurredAt": "2026-03-01T12:00:00Z",
        "data": {"nftId": str(uuid4()), "nftName": "Ape #1"},
    }


async def test_a_workloads_key_on_another_request_is_422(notification):
    # A bug in trading reusing one key for two ticks (or a purchase key for two transfers)
    # must be told so, as the contract says, not have the second one run.
    trading = {**called_by("trading"), "Idempotency-Key": "tick-1"}
    first = await notification.post(TICKS, json=tick(1.0), headers=trading)
    again = await notification.post(TICKS, json=tick(1.0), headers=trading)
    other = await notification.post(TICKS, json=tick(2.0), headers=trading)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.headers["idempotent-replayed"] == "true"
    assert (other.status_code, other.headers["content-type"]) == (422, "application/problem+json")


async def test_workloads_keys_are_their_own(notification):
    # nft and trading both publish events: one's key is not the other's.
    key = {"Idempotency-Key": "event-1"}
    from_nft = await notification.post(EVENTS, json=event(), headers={**called_by("nft"), **key})
    from_trading = await notification.post(
        EVENTS, json=event(), headers={**called_by("trading"), **key}
    )
    assert (from_nft.status_code, from_trading.status_code) == (201, 201)
    assert from_trading.json()["id"] != from_nft.json()["id"]
    assert "idempotent-replayed" not in from_trading.headers


@pytest.mark.parametrize("ttl", [1e-6, 86400.0], ids=["a microsecond", "a day"])
async def test_the_ttl_setting_is_how_long_a_response_is_replayed(ttl):
    # NOTIFICATION_IDEMPOTENCY_TTL_SECONDS was once left out of the app: always a day.
    trading = {**called_by("trading"), "Idempotency-Key": "tick-1"}
    async with notification_client(idempotency_ttl_seconds=ttl) as client:
        first = await client.post(TICKS, json=tick(1.0), headers=trading)
        again = await client.post(TICKS, json=tick(1.0), headers=trading)
    assert (first.status_code, again.status_code) == (200, 200)
    # Two requests are far more than a microsecond apart: the first answer has expired.
    assert again.headers.get("idempotent-replayed") == (None if ttl < 1 else "true")


async def test_people_the_edge_forwards_are_anonymous_not_one_workload(tmp_path):
    # The edge speaks for every anonymous client: its identity must not give them one scope,
    # where Bob's registration with Alice's key would be a 422 (or her stored answer).
    settings = UserSettings(validate_responses=True)
    app = user_app(settings, adapters=fake_adapters(settings, tmp_path / "keys"))
    headers = {**called_by("edge"), "Idempotency-Key": "everyone-uses-this-key"}
    async with asgi_client(app, headers=headers) as user:
        for name in ("alice", "bob"):
            body = {"username": name, "email": f"{name}@example.com", "password": "pw-123456"}
            response = await user.post("/api/users", json=body)
            assert (response.status_code, response.json()["username"]) == (201, name)
            assert "idempotent-replayed" not in response.headers


@pytest.mark.parametrize("key", ["", "x" * 256])
async def test_a_key_outside_the_contract_is_400(client, key):
    response = await client.post("/api/nfts", json=BODY, headers=keyed(key=key))
    assert response.status_code == 400


def test_every_post_and_patch_of_every_contract_honours_the_key():
    # The mesh retries keyed POSTs and PATCHes like reads: that is only safe if every such
    # operation replays instead of writing twice. The exceptions say so in the contract
    # (`x-idempotency-key: false`: login and token refresh, whose answers hold credentials;
    # `by-operation`: a purchase, which records its key itself and must require it).
    for path in sorted(CONTRACTS.glob("*.yaml")):
        contract = load_contract(path.stem)
        writes = {
            operation["operationId"]: operation
            for item in contract["paths"].values()
            for method, operation in item.items()
            if method in ("post", "patch") and operation.get("x-idempotency-key", True)
        }
        by_operation = {
            op_id for op_id, op in writes.items() if op.get("x-idempotency-key") == BY_OPERATION
        }
        assert set(writes) - by_operation <= operations_with_key(contract), path.name
        assert not by_operation & operations_with_key(contract), path.name
        for op_id in by_operation:
            assert _requires_key(contract, writes[op_id]), op_id
        for item in contract["paths"].values():
            for operation in item.values():
                if isinstance(operation, dict) and operation.get("operationId") in writes:
                    assert "422" in operation["responses"], operation["operationId"]


def test_operations_answering_with_credentials_take_no_key():
    user = load_contract("user")
    keyed = operations_with_key(user)
    assert not {"login", "refresh_token"} & keyed
    assert {"register_user", "logout"} <= keyed


def _requires_key(contract: dict, operation: dict) -> bool:
    parameters = contract.get("components", {}).get("parameters", {})
    for item in operation.get("parameters", []):
        if "$ref" in item:
            item = parameters[item["$ref"].rsplit("/", 1)[-1]]
        if item.get("in") == "header" and item["name"].lower() == IDEMPOTENCY_KEY.lower():
            return bool(item.get("required"))
    return False
