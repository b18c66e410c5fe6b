"""The edge as a public entry: unrouted paths get a problem+json 404, path tricks are rejected or
normalised before routing, and clients cannot steer Envoy with x-envoy-* headers. Requests are
sent byte-exact with http.client (httpx would normalise the paths itself)."""

from __future__ import annotations

import http.client
import json
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from mesh.runner import Mesh
from tests.support.mesh import stat, stats

pytestmark = pytest.mark.e2e

PASSWORD = "mesh-e2e-secret-2"


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


def send(mesh: Mesh, method: str, path: str, headers=None, body=None) -> Reply:
    """One request with exactly this path and these headers, on a fresh connection."""
    url = urlsplit(mesh.edge_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        all_headers = {"content-type": "application/json"} if payload else {}
        connection.request(method, path, body=payload, headers={**all_headers, **(headers or {})})
        response = connection.getresponse()
        return Reply(
            response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        )
    finally:
        connection.close()


def edge_stat(mesh: Mesh, name: str) -> int:
    assert mesh.edge is not None
    return stat(mesh.edge, name)


@pytest.fixture(scope="module")
def account(platform_mesh: Mesh) -> dict[str, str]:
    name = f"hard-{uuid.uuid4().hex[:8]}"
    body = {"username": name, "email": f"{name}@e2e.example", "password": PASSWORD}
    registered = send(platform_mesh, "POST", "/api/users", body=body)
    assert registered.status == 201, registered.body
    return {**body, "id": registered.json()["id"]}


@pytest.mark.parametrize("path", ["/", "/nothing/here", "/api/nftsx", "/api/unknown/1"])
def test_an_unrouted_path_is_a_problem_json_404_from_the_edge(platform_mesh, path):
    before = edge_stat(platform_mesh, "http.edge.rq_direct_response")
    reply = send(platform_mesh, "GET", path)
    assert reply.status == 404
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "no route",
    }
    # Envoy answered itself: no service saw it.
    assert edge_stat(platform_mesh, "http.edge.rq_direct_response") == before + 1


@pytest.mark.parametrize("path", ["/api/nfts%2Fuser", "/api/nfts/user%2f..%2F..%2Fapi/users"])
def test_an_encoded_slash_is_rejected_before_routing(platform_mesh, path):
    name = "http.edge.downstream_rq_failed_path_normalization"
    before = edge_stat(platform_mesh, name)
    reply = send(platform_mesh, "GET", path)
    assert (reply.status, reply.headers["content-type"]) == (400, "application/problem+json")
    assert "encoded slash" in reply.json()["detail"]
    assert edge_stat(platform_mesh, name) == before + 1


def test_duplicate_slashes_and_dot_segments_are_normalised_then_routed(platform_mesh, account):
    canonical = send(platform_mesh, "GET", f"/api/nfts/user/{account['id']}")
    assert canonical.status == 200, canonical.body
    before = edge_stat(platform_mesh, "cluster.nft.upstream_rq_total")
    for path in (
        f"//api//nfts//user/{account['id']}",
        f"/api/users/../nfts/user/{account['id']}",
        f"/api/nfts/./user/{account['id']}",
    ):
        reply = send(platform_mesh, "GET", path)
        assert (reply.status, reply.body) == (200, canonical.body), path
    # All three went to nft (not user, not the 404): routing saw the normalised path.
    assert edge_stat(platform_mesh, "cluster.nft.upstream_rq_total") == before + 3


def test_a_header_name_with_an_underscore_is_rejected(platform_mesh, account):
    name = "http1.requests_rejected_with_underscores_in_headers"
    before = edge_stat(platform_mesh, name)
    reply = send(platform_mesh, "GET", f"/api/nfts/user/{account['id']}", {"x_user_id": "1"})
    assert (reply.status, reply.headers["content-type"]) == (400, "application/problem+json")
    assert "underscore" in reply.json()["detail"]
    assert edge_stat(platform_mesh, name) == before + 1


def test_clients_cannot_steer_envoy_with_x_envoy_headers(platform_mesh, account):
    """Untrusted x-envoy-* request headers are stripped at the edge: a 1 ms upstream timeout
    would answer 504, and retry-on 409 would retry a duplicate registration."""
    watched = (
        "cluster.user.upstream_rq_timeout",
        "cluster.user.upstream_rq_retry",
        "cluster.user.upstream_rq_total",
    )

    def counters() -> dict[str, int]:
        assert platform_mesh.edge is not None
        values = stats(platform_mesh.edge, r"^cluster\.user\.upstream_rq_(timeout|retry|total)$")
        return {name: values.get(name, 0) for name in watched}

    before = counters()
    # Login hashes a password (argon2): it takes far longer than 1 ms.
    login = send(
        platform_mesh,
        "POST",
        "/api/users/login",
        {"x-envoy-upstream-rq-timeout-ms": "1", "x-envoy-upstream-rq-per-try-timeout-ms": "1"},
        {"username": account["username"], "password": account["password"]},
    )
    assert login.status == 200, login.body
    # Registering the same account again is a 409, which retry-on retriable-4xx would retry.
    duplicate = send(
        platform_mesh,
        "POST",
        "/api/users",
        {
            "x-envoy-retry-on": "retriable-4xx,retriable-status-codes",
            "x-envoy-retriable-status-codes": "409",
            "x-envoy-max-retries": "2",
        },
        {k: account[k] for k in ("username", "email", "password")},
    )
    assert duplicate.status == 409, duplicate.body
    after = counters()
    assert after == {
        "cluster.user.upstream_rq_timeout": before["cluster.user.upstream_rq_timeout"],
        "cluster.user.upstream_rq_retry": before["cluster.user.upstream_rq_retry"],
        # One attempt each, no more.
        "cluster.user.upstream_rq_total": before["cluster.user.upstream_rq_total"] + 2,
    }
