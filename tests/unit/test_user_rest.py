"""The user REST API on fakes: login flow, auth, and nft-service failures as problems."""

import jwt
import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.common.workload_identity import OPERATOR_ID
from services.user.bootstrap import bootstrap
from services.user.config import UserSettings
from services.user.domain.errors import (
    NftServiceBadResponse,
    NftServiceTimeout,
    NftServiceUnavailable,
)
from tests.support.asgi import asgi_client
from tests.support.callers import called_as, called_by
from tests.unit.user_fakes import fake_adapters

pytestmark = pytest.mark.unit

ACCOUNT = {"username": "alice", "email": "alice@example.com", "password": "pw-123456"}
LOGIN = {"username": "alice", "password": "pw-123456"}


SETTINGS = UserSettings(validate_responses=True, login_failures_per_account_address=3)


@pytest.fixture
def adapters(tmp_path):
    return fake_adapters(SETTINGS, tmp_path / "keys")


@pytest.fixture
async def client(adapters):
    app = bootstrap(SETTINGS, adapters=adapters)
    async with asgi_client(app) as client:
        yield client


async def admin_headers(client) -> dict[str, str]:
    # bootstrap created the development admin at start-up.
    login = await client.post(
        "/api/users/login",
        json={"username": SETTINGS.admin_username, "password": SETTINGS.admin_password},
    )
    assert login.status_code == 200
    return {"Authorization": f"Bearer {login.json()['accessToken']}"}


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


@pytest.mark.parametrize("field", ["role", "roles", "is_admin", "disabled"])
async def test_a_client_cannot_choose_its_role(client, field):
    response = await client.post("/api/users", json={**ACCOUNT, field: ["Admin"]})
    assert response.status_code == 400


async def test_the_jwks_publishes_the_signing_key(client):
    headers = await logged_in(client)
    jwks = (await client.get("/api/users/.well-known/jwks.json")).json()
    token_kid = jwt.get_unverified_header(headers["Authorization"].split()[1])["kid"]
    assert [key["kid"] for key in jwks["keys"]] == [token_kid]


async def test_refresh_rotates_and_logout_ends_the_session(client):
    await client.post("/api/users", json=ACCOUNT)
    login = (await client.post("/api/users/login", json=LOGIN)).json()
    refreshed = await client.post(
        "/api/users/token/refresh", json={"refreshToken": login["refreshToken"]}
    )
    assert refreshed.status_code == 200
    new_refresh = refreshed.json()["refreshToken"]
    assert (
        await client.post("/api/users/logout", json={"refreshToken": new_refresh})
    ).status_code == 204
    again = await client.post("/api/users/token/refresh", json={"refreshToken": new_refresh})
    assert again.status_code == 401
    assert again.headers["content-type"] == "application/problem+json"


async def test_failed_logins_are_throttled_with_retry_after(client):
    await client.post("/api/users", json=ACCOUNT)
    for _ in range(3):
        wrong = await client.post("/api/users/login", json={**LOGIN, "password": "wrong"})
        assert wrong.status_code == 401
    assert await throttled_logins(client) == 0  # wrong passwords are failures, not refusals
    throttled = await client.post("/api/users/login", json=LOGIN)
    assert throttled.status_code == 429
    assert 1 <= int(throttled.headers["retry-after"]) <= 300
    assert throttled.headers["content-type"] == "application/problem+json"
    assert await throttled_logins(client) == 1


async def throttled_logins(client) -> float:
    """What user's /metrics counts as logins the throttle refused."""
    text = (await client.get("/metrics")).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "capsure_login_throttled_total"
    )


def from_edge(address: str) -> dict[str, str]:
    """The client address the edge forwards, as the user sidecar delivers it: from the edge."""
    return {"x-capsure-client-ip": address, **called_by("edge", "edge")}


async def test_the_throttle_counts_by_the_edges_client_address_header(client):
    await client.post("/api/users", json=ACCOUNT)
    attacker = from_edge(" 192.0.2.1 ")
    for _ in range(3):
        wrong = {**LOGIN, "password": "wrong"}
        assert (
            await client.post("/api/users/login", json=wrong, headers=attacker)
        ).status_code == 401
    throttled = await client.post("/api/users/login", json=LOGIN, headers=from_edge("192.0.2.1"))
    assert throttled.status_code == 429
    owner = from_edge("192.0.2.2")
    assert (await client.post("/api/users/login", json=LOGIN, headers=owner)).status_code == 200
    # Without the header (a direct call), the connection's peer is the address.
    assert (await client.post("/api/users/login", json=LOGIN)).status_code == 200


async def test_admin_operations_need_the_admin_role(client):
    user_headers = await logged_in(client)
    me = (await client.get("/api/users/me", headers=user_headers)).json()
    operations = [
        ("GET", "/api/users", None),
        ("PUT", f"/api/users/{me['id']}/roles", {"roles": ["Admin"]}),
        ("PUT", f"/api/users/{me['id']}/status", {"disabled": True}),
    ]
    for method, path, body in operations:
        response = await client.request(method, path, json=body, headers=user_headers)
        assert response.status_code == 403, (method, path)
        assert response.headers["content-type"] == "application/problem+json"
    admin = await admin_headers(client)
    for method, path, body in operations:
        response = await client.request(method, path, json=body, headers=admin)
        assert response.status_code == 200, (method, path, response.text)


async def test_an_admin_grants_roles_and_disables_accounts(client):
    user_headers = await logged_in(client)
    me = (await client.get("/api/users/me", headers=user_headers)).json()
    assert me["roles"] == ["User"] and me["disabled"] is False
    admin = await admin_headers(client)
    granted = await client.put(
        f"/api/users/{me['id']}/roles", json={"roles": ["Developer"]}, headers=admin
    )
    assert granted.json()["roles"] == ["Developer", "User"]
    disabled = await client.put(
        f"/api/users/{me['id']}/status", json={"disabled": True}, headers=admin
    )
    assert disabled.json()["disabled"] is True
    assert (await client.post("/api/users/login", json=LOGIN)).status_code == 403
    listed = (await client.get("/api/users", headers=admin)).json()
    assert {u["username"] for u in listed} == {"admin", "alice"}


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


async def test_a_client_address_from_any_caller_but_the_edge_is_not_believed(client):
    """Anything that can reach the user sidecar but the edge (another workload) names no
    client address: it is throttled as itself, whatever address it claims."""
    await client.post("/api/users", json=ACCOUNT)
    for _ in range(3):
        claimed = {"x-capsure-client-ip": f"198.51.100.{_}", **called_by("nft")}
        wrong = {**LOGIN, "password": "wrong"}
        assert (
            await client.post("/api/users/login", json=wrong, headers=claimed)
        ).status_code == 401
    spoofed = {"x-capsure-client-ip": "198.51.100.99", **called_by("nft")}
    throttled = await client.post("/api/users/login", json=LOGIN, headers=spoofed)
    assert throttled.status_code == 429
    assert (
        await client.post("/api/users/login", json=LOGIN, headers=from_edge("198.51.100.99"))
    ).status_code == 200


async def test_callers_that_are_no_service_are_throttled_each_as_itself(client):
    """The operator's certificate names no service: it is counted by its SPIFFE ID, not in
    one count with every other such caller."""
    await client.post("/api/users", json=ACCOUNT)
    operator = called_as(OPERATOR_ID)
    for _ in range(3):
        wrong = {**LOGIN, "password": "wrong"}
        assert (
            await client.post("/api/users/login", json=wrong, headers=operator)
        ).status_code == 401
    assert (await client.post("/api/users/login", json=LOGIN, headers=operator)).status_code == 429
    someone_else = called_as("spiffe://capsure.local/someone-else")
    assert (
        await client.post("/api/users/login", json=LOGIN, headers=someone_else)
    ).status_code == 200
