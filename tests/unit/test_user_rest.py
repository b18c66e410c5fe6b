"""The user REST API on fakes: login flow, auth, and nft-service failures as problems."""

import pytest

from services.user.bootstrap import bootstrap
from services.user.config import UserSettings
from services.user.domain.errors import (
    NftServiceBadResponse,
    NftServiceTimeout,
    NftServiceUnavailable,
)
from tests.support.asgi import asgi_client
from tests.unit.user_fakes import fake_adapters

pytestmark = pytest.mark.unit

ACCOUNT = {"username": "alice", "email": "alice@example.com", "password": "pw-123456"}


@pytest.fixture
def adapters():
    return fake_adapters()


@pytest.fixture
async def client(adapters):
    app = bootstrap(UserSettings(validate_responses=True), adapters=adapters)
    async with asgi_client(app) as client:
        yield client


async def logged_in(client) -> dict[str, str]:
    assert (await client.post("/api/users", json=ACCOUNT)).status_code == 201
    login = await client.post(
        "/api/users/login", json={"username": "alice", "password": "pw-123456"}
    )
    assert login.status_code == 200
    assert login.json()["tokenType"] == "Bearer"
    return {"Authorization": f"Bearer {login.json()['accessToken']}"}


async def test_register_login_and_read_me(client):
    headers = await logged_in(client)
    me = await client.get("/api/users/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["username"] == "alice"
    public = await client.get(f"/api/users/{me.json()['id']}", headers=headers)
    assert public.json() == {k: me.json()[k] for k in ("id", "username", "createdAt")}


async def test_duplicate_registration_is_409(client):
    await client.post("/api/users", json=ACCOUNT)
    again = await client.post("/api/users", json=ACCOUNT)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"


async def test_bad_login_is_401_problem(client):
    response = await client.post("/api/users/login", json={"username": "nobody", "password": "x"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_client_cannot_choose_extra_fields(client):
    response = await client.post("/api/users", json={**ACCOUNT, "roles": ["Admin"]})
    assert response.status_code == 400


async def test_me_routes_are_not_shadowed_by_user_id(client):
    headers = await logged_in(client)
    assert (await client.get("/api/users/me/nfts", headers=headers)).json() == []


@pytest.mark.parametrize(
    ("failure", "status"),
    [(NftServiceUnavailable(), 503), (NftServiceTimeout(), 504), (NftServiceBadResponse(500), 502)],
)
async def test_nft_service_failures_become_problems(client, adapters, failure, status):
    headers = await logged_in(client)
    adapters.nfts.failure = failure
    response = await client.get("/api/users/me/nfts", headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert (await client.get("/healthz")).status_code == 200


async def test_a_static_path_is_its_own_resource(client):
    # GET /api/users/login must not fall through to GET /api/users/{userId}.
    response = await client.get("/api/users/login")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.headers["content-type"] == "application/problem+json"
