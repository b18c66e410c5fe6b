"""Consumer-driven contract for nft -> user: before an owner's transfer, nft asks the user
service whether the receiver exists (`GET /api/users/{userId}`), carrying the caller's bearer
token on to it.

Consumer side: nft's real RestUserDirectory adapter (generated client) talks to pact's mock
user service; the resulting pact must equal the committed one in contracts/pacts/ (regenerate
with CAPSURE_UPDATE_PACTS=1). Provider side: a real user service process is verified against
the committed pact, with provider states set up through its own API. A registered user's id
is the user service's to choose, so the "a user exists" state answers with it and pact puts it
into the request path (a provider-state generator).
"""

from __future__ import annotations

import secrets
from typing import Any
from uuid import UUID

import httpx
import pytest
from pact import Pact, generate, match
from pact.match.matcher import GenericMatcher

from services.nft.adapters.user_directory import RestUserDirectory
from tests.support.pact_states import state_server
from tests.support.pacts import PACTS, assert_committed, interactions, verified_interactions
from tests.support.platform import running_services
from tests.support.tokens import token_for

pytestmark = pytest.mark.contract

PACT_FILE = PACTS / "nft-user.json"
CALLER = UUID("4a2c6e8f-0b1d-4f3a-8c5e-7a9b1d3f5c7e")
RECEIVER = UUID("7c9e1a3b-5d7f-4b2d-9e4a-6c8e0a2b4d6f")
NOBODY = UUID("0d3b8f7e-2a61-4c59-8e3f-5a1b2c3d4e5f")
JWT = r"^Bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"
EXAMPLE_TOKEN = "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
USER_PATH = r"^/api/users/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$"
USER_EXISTS = "a user exists"


def nft_user_pact() -> Pact:
    return Pact("nft", "user").with_specification("V4")


def user_path(user_id: UUID, *, from_state: bool) -> str | GenericMatcher[str]:
    if not from_state:
        return f"/api/users/{user_id}"
    # Verified with the id the provider state registered; the example is the consumer's.
    return GenericMatcher(
        "regex",
        f"/api/users/{user_id}",
        regex=USER_PATH,
        generator=generate.provider_state("/api/users/${userId}"),
    )


def lookup(pact: Pact, user_id: UUID, state: str, description: str) -> Any:
    return (
        pact.upon_receiving(description)
        .given(state, userId=str(user_id))
        .with_request("GET", user_path(user_id, from_state=state == USER_EXISTS))
        .with_header("Authorization", match.regex(EXAMPLE_TOKEN, regex=JWT))
    )


async def ask(url: str, user_id: UUID) -> bool:
    directory = RestUserDirectory(url, 2.0)
    try:
        return await directory.exists(user_id, bearer_token=token_for(CALLER))
    finally:
        await directory.aclose()


async def test_consumer_finds_an_existing_receiver(pact_dir):
    pact = nft_user_pact()
    (
        lookup(pact, RECEIVER, USER_EXISTS, "a request for an existing user's profile")
        .will_respond_with(200)
        .with_body(
            {
                "id": match.uuid(str(RECEIVER)),
                "username": match.str("bob"),
                "createdAt": match.regex("2026-01-01T00:00:00.000000Z", regex=TIMESTAMP),
            },
            content_type="application/json",
        )
    )
    with pact.serve() as server:
        assert await ask(str(server.url), RECEIVER) is True
    pact.write_file(pact_dir, overwrite=False)


async def test_consumer_learns_that_a_receiver_is_unknown(pact_dir):
    pact = nft_user_pact()
    (
        lookup(pact, NOBODY, "no user has that id", "a request for an unknown user's profile")
        .will_respond_with(404)
        .with_body(
            {"title": match.str("Not Found"), "status": match.int(404)},
            content_type="application/problem+json",
        )
    )
    with pact.serve() as server:
        assert await ask(str(server.url), NOBODY) is False
    pact.write_file(pact_dir, overwrite=False)


def test_generated_pact_matches_the_committed_contract(pact_dir):
    assert_committed(pact_dir, "nft-user", "tests/contract/test_pact_nft_user.py")


def test_user_provider_honours_the_nft_pact(tmp_path):
    with running_services(tmp_path, ["user"]) as services:
        user = services["user"]

        def setup(state: str, params: dict[str, Any]) -> dict[str, str]:
            # States are reached through the provider's own API, never its tables.
            if state != USER_EXISTS:
                return {}
            name = f"receiver-{secrets.token_hex(4)}"
            response = httpx.post(
                f"{user.url}/api/users",
                json={"username": name, "email": f"{name}@example.com", "password": "x" * 12},
            )
            response.raise_for_status()
            return {"userId": response.json()["id"]}

        with state_server(setup) as state_url:
            verified = verified_interactions(
                "user", user.url, PACT_FILE, state_url, bearer=token_for(CALLER)
            )
    assert verified == len(interactions(PACT_FILE)) == 2
