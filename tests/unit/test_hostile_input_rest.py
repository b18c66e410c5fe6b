"""Hostile input on the REST apps, in-process on fakes (nft, user and notification): a 10 MB
field gets a small 400 and a small log; JSON that breaks later (deep, huge integers, lone
surrogates, NaN, bad UTF-8) and undecodable paths and queries are 400 problems; a trailing
slash never redirects to the client's Host; anonymous Idempotency-Keys do not collide; the
published contract has no internal operations, which still route and validate."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from openapi_spec_validator import validate

from services.common.contracts import load_contract
from services.common.public_contract import is_internal
from services.user.config import UserSettings
from tests.support.asgi import asgi_client
from tests.support.callers import called_by
from tests.support.tokens import bearer
from tests.unit.nft_fakes import InMemoryUserDirectory, nft_app
from tests.unit.notification_fakes import notification_app
from tests.unit.user_fakes import admin_headers, user_app

pytestmark = pytest.mark.unit

ALICE = uuid4()
PROBLEM = "application/problem+json"
TEN_MB = 10_000_000
SMALL = 2048  # bytes: the most a refusal of a 10 MB request may take, answer or log
USER_SETTINGS = UserSettings(validate_responses=True)


APPS: dict[str, Callable[[Path], Any]] = {
    "nft": lambda _: nft_app(InMemoryUserDirectory(ALICE)),
    "user": lambda tmp_path: user_app(USER_SETTINGS, tmp_path / "keys"),
    "notification": lambda _: notification_app(),
}


@asynccontextmanager
async def client_of(service: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `service`'s app on fakes, started for the block only."""
    async with asgi_client(APPS[service](tmp_path)) as client:
        yield client


@pytest.fixture
async def nft(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of("nft", tmp_path) as client:
        yield client


@pytest.fixture
async def user(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of("user", tmp_path) as client:
        yield client


@pytest.fixture
async def notification(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of("notification", tmp_path) as client:
        yield client


# Per service: a write whose JSON body the contract validates, a valid body for it, the string
# field the attacks fill, and the headers it needs.
WRITES = {
    "nft": ("/api/nfts", {"name": "Ape"}, "name", lambda: bearer(ALICE)),
    "user": (
        "/api/users",
        {"username": "alice", "email": "alice@example.com", "password": "pw-123456"},
        "username",
        dict,
    ),
}


@pytest.fixture(params=sorted(WRITES))
async def write(request, tmp_path):
    """(client, path, valid body, string field, headers) of one service's write; only that
    service's app runs."""
    path, body, field, headers = WRITES[request.param]
    async with client_of(request.param, tmp_path) as client:
        yield client, path, body, field, headers()


def logged_by_the_app(caplog: pytest.LogCaptureFixture) -> int:
    """Characters the app logged (the test's own httpx client logs every URL whole)."""
    return sum(len(r.getMessage()) for r in caplog.records if not r.name.startswith("httpx"))


def huge_bodies(body: dict, field: str) -> dict[str, dict]:
    return {
        "10 MB string field": {**body, field: "x" * TEN_MB},
        "10 MB unknown field name": {**body, "x" * TEN_MB: 1},
        "10 MB list where a string goes": {**body, field: ["x" * TEN_MB]},
        "10 MB object where a string goes": {**body, field: {"x" * TEN_MB: "y"}},
    }


@pytest.mark.parametrize(
    "case",
    [
        "10 MB string field",
        "10 MB unknown field name",
        "10 MB list where a string goes",
        "10 MB object where a string goes",
    ],
)
async def test_a_10_mb_field_gets_a_small_400_and_a_small_log(write, case, caplog):
    client, path, body, field, headers = write
    caplog.set_level(logging.DEBUG)
    response = await client.post(path, json=huge_bodies(body, field)[case], headers=headers)
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    assert len(response.content) < SMALL, response.text[:300]
    # Where, and for a string a short prefix of it (to say which value).
    detail = response.json()["detail"]
    assert f"body.{field}" in detail or "unexpected field(s) 'xxxxxxxx" in detail
    assert logged_by_the_app(caplog) < SMALL


async def test_a_password_is_never_quoted(user, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "hunter2-" * 100
    account = {"username": "alice", "email": "a@example.com", "password": secret}
    response = await user.post("/api/users", json=account)
    assert response.status_code == 400
    assert "hunter2" not in response.text
    assert "body.password: (a secret, not shown) is longer than 128" in response.json()["detail"]
    assert not any("hunter2" in record.getMessage() for record in caplog.records)
    login = await user.post("/api/users/login", json={"username": "alice", "password": secret})
    assert login.status_code == 400 and "hunter2" not in login.text


BREAKING_JSON = {
    "nested 10,000 deep": lambda field: (
        '{"' + field + '": ' + "[" * 10_000 + "]" * 10_000 + "}"
    ).encode(),
    "an integer of 5,000 digits": lambda field: f'{{"{field}": {"9" * 5000}}}'.encode(),
    "a lone surrogate": lambda field: f'{{"{field}": "\\ud800"}}'.encode(),
    "a lone surrogate in a key": lambda field: b'{"\\udc00": 1}',
    "NaN": lambda field: f'{{"{field}": NaN}}'.encode(),
    "1e999": lambda field: f'{{"{field}": 1e999}}'.encode(),
    "invalid UTF-8": lambda field: f'{{"{field}": "'.encode() + b'\xff\xfe"}',
    "a CESU-8 surrogate": lambda field: f'{{"{field}": "'.encode() + b'\xed\xa0\x80"}',
}


@pytest.mark.parametrize("case", sorted(BREAKING_JSON))
async def test_json_that_would_break_later_is_a_400_problem(write, case, caplog):
    client, path, _, field, headers = write
    raw = BREAKING_JSON[case](field)
    response = await client.post(
        path, content=raw, headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_an_unknown_charset_is_a_400(write):
    client, path, _, _, headers = write
    content_type = {"Content-Type": "application/json; charset=x-no-such-charset"}
    response = await client.post(path, content=b"{}", headers={**headers, **content_type})
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM


async def test_a_surrogate_pair_is_text_and_is_kept(nft):
    response = await nft.post("/api/nfts", json={"name": "Ape \U0001f600"}, headers=bearer(ALICE))
    assert response.status_code == 201
    assert response.json()["name"] == "Ape \U0001f600"


async def test_a_huge_content_type_gets_a_small_415(nft):
    headers = {**bearer(ALICE), "Content-Type": "application/" + "x" * 100_000}
    response = await nft.post("/api/nfts", content=b"{}", headers=headers)
    assert response.status_code == 415
    assert len(response.content) < SMALL


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("x" * 10_000, "1"),  # a 10 KB path parameter
        (None, "9" * 10_000),  # a 10 KB integer
        (None, "1&" + "y" * 10_000 + "=1"),  # an unknown query parameter with a 10 KB name
        ("%FF%FE", "1"),  # not UTF-8 once percent-decoded
        ("%ED%A0%80", "1"),  # a surrogate, CESU-8 encoded
        (None, "%ED%A0%80"),
        (None, "%FF"),
    ],
    ids=[
        "10 KB path parameter",
        "10 KB integer",
        "10 KB unknown parameter",
        "path %FF",
        "path surrogate",
        "query surrogate",
        "query %FF",
    ],
)
async def test_bad_parameters_get_a_small_400(nft, user, path, query, caplog):
    caplog.set_level(logging.DEBUG)
    nft_url = f"/api/nfts/user/{path or ALICE}?limit={query}"
    user_url = f"/api/users?limit={query}" if path is None else f"/api/users/{path}"
    for client, url, headers in (
        (nft, nft_url, {}),
        (user, user_url, await admin_headers(user, USER_SETTINGS)),
    ):
        response = await client.get(url, headers=headers)
        assert response.status_code == 400, (url[:100], response.text[:300])
        assert response.headers["content-type"] == PROBLEM
        assert len(response.content) < SMALL
    assert logged_by_the_app(caplog) < 4 * SMALL


def example_paths(service: str) -> list[str]:
    """Every path of the contract with its parameters filled in."""
    return [re.sub(r"\{[^}]+\}", str(uuid4()), path) for path in load_contract(service)["paths"]]


@pytest.mark.parametrize("service", ["nft", "user", "notification"])
async def test_a_trailing_slash_never_redirects_to_the_clients_host(service, tmp_path):
    prefix = {"nft": "/api/nfts", "user": "/api/users", "notification": "/api/notifications"}
    paths = [*example_paths(service), "/healthz", f"{prefix[service]}/openapi.json"]
    async with client_of(service, tmp_path) as client:
        for path in paths:
            for method in ("GET", "POST", "DELETE"):
                response = await client.request(
                    method, path + "/", headers={"Host": "evil.example", **bearer(ALICE)}
                )
                assert response.status_code == 404, (method, path, response.status_code)
                assert response.headers["content-type"] == PROBLEM
                assert "location" not in response.headers
                assert "evil.example" not in str(response.headers)
        # The Swagger UI's own redirect (ui -> ui/) stays, and is relative.
        response = await client.get(f"{prefix[service]}/ui", headers={"Host": "evil.example"})
        assert response.headers["location"] == f"{prefix[service]}/ui/"
        assert (await client.get(f"{prefix[service]}/ui/")).status_code == 200


@pytest.mark.parametrize(
    ("service", "prefix"), [("nft", "/api/nfts"), ("notification", "/api/notifications")]
)
async def test_the_published_contract_leaves_internal_operations_out(service, prefix, tmp_path):
    async with client_of(service, tmp_path) as client:
        response = await client.get(f"{prefix}/openapi.json")
    assert response.status_code == 200
    published = response.json()
    contract = load_contract(service)
    internal = [path for path in contract["paths"] if is_internal(path)]
    assert internal, "the test needs a contract with internal operations"
    assert not [path for path in published["paths"] if is_internal(path)]
    assert set(published["paths"]) == set(contract["paths"]) - set(internal)
    assert "internal" not in str(published.get("tags"))
    validate(published)  # still a whole OpenAPI document: no reference left dangling


async def test_internal_operations_still_route_and_validate(nft, notification):
    sold = "/internal/marketplace-transfers"
    assert (await nft.post(sold, json={"listingId": "x"})).status_code == 400
    sale = {
        "listingId": str(uuid4()),
        "nftId": str(uuid4()),
        "sellerId": str(ALICE),
        "buyerId": str(uuid4()),
    }
    key = {"Idempotency-Key": "purchase-1", **called_by("trading")}
    routed = await nft.post(sold, json=sale, headers=key)
    assert routed.status_code == 404, routed.text  # no such NFT: it routed to the handler
    response = await notification.post("/internal/price-ticks", json={"x" * TEN_MB: 1})
    assert response.status_code == 400 and len(response.content) < SMALL


def registration(name: str) -> dict[str, str]:
    return {"username": name, "email": f"{name}@example.com", "password": "pw-123456"}


async def test_anonymous_idempotency_keys_do_not_collide_across_clients(user):
    key = {"Idempotency-Key": "everyone-uses-this-key"}
    alice = await user.post("/api/users", json=registration("alice"), headers=key)
    bob = await user.post("/api/users", json=registration("bob"), headers=key)
    # Bob's request with Alice's key is his own: not her stored answer, not a 422.
    assert (alice.status_code, bob.status_code) == (201, 201)
    assert bob.json()["username"] == "bob" and bob.json()["id"] != alice.json()["id"]
    assert "idempotent-replayed" not in bob.headers
    # Each one's retry is still a replay of their own answer.
    for first, name in ((alice, "alice"), (bob, "bob")):
        again = await user.post("/api/users", json=registration(name), headers=key)
        assert again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"


async def test_a_callers_key_with_another_body_is_still_a_422(nft):
    key = {**bearer(ALICE), "Idempotency-Key": "mine"}
    assert (await nft.post("/api/nfts", json={"name": "a"}, headers=key)).status_code == 201
    assert (await nft.post("/api/nfts", json={"name": "b"}, headers=key)).status_code == 422
