"""The access-control attack matrix, through the edge with real tokens, on every protected
operation: BOLA, forged tokens, mass assignment, BFLA with path mangling, spoofed identity and
x-envoy-* headers, login throttling, requests only the edge itself may answer (malformed,
oversized, unknown methods, a forged Host), and hostile input (10 MB fields, JSON that breaks
parsers, undecodable paths, Host-built redirects, colliding anonymous Idempotency-Keys, the
internal operations in the published contracts). Each case is counted; a bypass is any 2xx where
the answer must be a refusal, any change to an object an attacker touched, or a refusal that is
not problem+json or echoes the Host. The expected count of bypasses is 0.

Forged tokens are also sent straight to each service's sidecar, skipping the edge: every
service verifies again (defence in depth). A sidecar's inbound talks only mTLS to a mesh
certificate, so they are sent as the edge would (with its certificate, as a process that stole
it could), and once more with no certificate and in plaintext: refused at the handshake."""

from __future__ import annotations

import base64
import http.client
import json
import ssl
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from mesh.envoy.jwt_authn import CHALLENGE, INVALID_TOKEN_CHALLENGE
from mesh.ports import free_port
from mesh.runner import Mesh
from services.user.config import UserSettings
from tests.support.attack_tally import (
    NOT_A_CLEAN_PROBLEM,
    PROBLEM,
    REFUSED_AT_HANDSHAKE,
    Tally,
    problem_outcome,
)
from tests.support.forgeries import forged_tokens
from tests.support.mesh import running_mesh
from tests.support.raw_http import H2Reply, Reply, http1, http2, request_bytes
from tests.support.tokens import trusting_env
from tests.support.workload_tls import client_context, mesh_ca_file, workload_context

pytestmark = pytest.mark.e2e

PASSWORD = "matrix-secret-123"
ADMIN = UserSettings()
JSON = {"Content-Type": "application/json"}
# A refusal is any 3xx (a redirect to the canonical path, itself refused) or 4xx; never a 2xx,
# and never a 5xx (a crash is a defect, and may hide a half-done change).
REFUSALS = set(range(300, 500))
# A Host no answer may contain: the edge and the apps must never reflect the request.
ATTACKER_HOST = "reflected.attacker.example"


class Raw:
    """HTTP/1.1 with the path sent byte for byte (clients normalise `..`, `//` and `%2F`); over
    TLS with `context` (a sidecar's inbound)."""

    def __init__(self, base_url: str, context: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.context = context

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        if self.context is None:
            return http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        return http.client.HTTPSConnection(
            self.host, self.port, timeout=timeout, context=self.context
        )

    def call(
        self, method: str, path: str, body: object = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict]:
        connection = self._connection(10)
        try:
            payload = None if body is None else json.dumps(body).encode()
            connection.request(method, path, body=payload, headers={**JSON, **(headers or {})})
            response = connection.getresponse()
            data = response.read()
            try:
                parsed = json.loads(data) if data else {}
            except ValueError:
                parsed = {"raw": data[:200].decode(errors="replace")}
            return response.status, parsed
        finally:
            connection.close()

    def status_or_refusal(
        self, method: str, path: str, body: object = None, headers: dict[str, str] | None = None
    ) -> int:
        """The answer's status, or REFUSED_AT_HANDSHAKE when no HTTP answer came: the
        connection ended, or (plaintext to a TLS port) a TLS alert came instead. A port with
        nothing listening raises ConnectionRefusedError: no server, so nothing refused."""
        try:
            return self.call(method, path, body, headers)[0]
        except ConnectionRefusedError:
            raise
        # RemoteDisconnected is a ConnectionError; a TLS alert read as HTTP, a BadStatusLine.
        except (ssl.SSLError, ConnectionError, http.client.BadStatusLine):
            return REFUSED_AT_HANDSHAKE

    def send(
        self, method: str, path: str, payload: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """`payload` as given, byte for byte; the status, headers (lower-case names), body."""
        connection = self._connection(60)
        try:
            connection.request(method, path, body=payload, headers={**JSON, **(headers or {})})
            response = connection.getresponse()
            answer = {name.lower(): value for name, value in response.getheaders()}
            return response.status, answer, response.read()
        finally:
            connection.close()


@dataclass
class Account:
    id: str
    username: str
    token: str
    refresh: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="module")
def mesh(tmp_path_factory) -> Iterator[Mesh]:
    """A mesh of its own: the matrix disables accounts and trips the login throttle."""
    env = {**trusting_env(), "USER_LOGIN_FAILURES_PER_ADDRESS": "12"}
    workdir = tmp_path_factory.mktemp("attack-matrix")
    with running_mesh(
        workdir,
        instances=dict.fromkeys(("nft", "user", "analytics", "trading", "notification"), 1),
        app_env=env,
    ) as running:
        yield running


@pytest.fixture(scope="module")
def edge(mesh: Mesh) -> Raw:
    return Raw(mesh.edge_url)


def login(edge: Raw, username: str, password: str) -> tuple[str, str]:
    status, body = edge.call(
        "POST", "/api/users/login", {"username": username, "password": password}
    )
    assert status == 200, body
    return body["accessToken"], body["refreshToken"]


def account(edge: Raw, admin: Account | None = None, roles: list[str] | None = None) -> Account:
    name = f"m-{uuid.uuid4().hex[:10]}"
    status, body = edge.call(
        "POST",
        "/api/users",
        {"username": name, "email": f"{name}@e2e.example", "password": PASSWORD},
    )
    assert status == 201, body
    if roles:
        assert admin is not None
        status, _ = edge.call("PUT", f"/api/users/{body['id']}/roles", {"roles": roles}, admin.auth)
        assert status == 200
    token, refresh = login(edge, name, PASSWORD)
    return Account(body["id"], name, token, refresh)


@pytest.fixture(scope="module")
def people(edge: Raw) -> dict[str, Account]:
    token, refresh = login(edge, ADMIN.admin_username, ADMIN.admin_password)
    status, me = edge.call("GET", "/api/users/me", headers={"Authorization": f"Bearer {token}"})
    assert status == 200 and "Admin" in me["roles"]
    admin = Account(me["id"], ADMIN.admin_username, token, refresh)
    return {
        "admin": admin,
        "alice": account(edge),
        "bob": account(edge),
        "developer": account(edge, admin, ["Developer"]),
        "moderator": account(edge, admin, ["Moderator"]),
    }


@pytest.fixture(scope="module")
def bobs_nft(edge: Raw, people: dict[str, Account]) -> dict:
    status, nft = edge.call(
        "POST", "/api/nfts", {"name": "Bob's", "description": "mine"}, people["bob"].auth
    )
    assert status == 201
    return nft


def protected_operations(people: dict[str, Account], nft: dict) -> list[tuple[str, str, object]]:
    """(method, path, body) of every operation whose contract requires a token."""
    bob = people["bob"].id
    tick = {"assetSymbol": "MATRIX", "price": 1.5, "timestamp": 1_767_225_600_000}
    listing = "00000000-0000-4000-8000-000000000001"  # the token is refused before any lookup
    return [
        ("POST", "/api/nfts", {"name": "x"}),
        ("PATCH", f"/api/nfts/{nft['id']}", {"name": "x"}),
        ("POST", f"/api/nfts/{nft['id']}/transfer", {"toUserId": bob}),
        ("PUT", f"/api/nfts/{nft['id']}/moderation", {"hidden": True}),
        ("GET", "/api/users", None),
        ("GET", "/api/users/me", None),
        ("GET", "/api/users/me/nfts", None),
        ("GET", f"/api/users/{bob}", None),
        ("PUT", f"/api/users/{bob}/roles", {"roles": ["Admin"]}),
        ("PUT", f"/api/users/{bob}/status", {"disabled": True}),
        ("POST", "/api/trading/market-data", tick),
        ("PUT", f"/api/nfts/{nft['id']}/sale-approval", {"listingId": listing}),
        ("DELETE", f"/api/nfts/{nft['id']}/sale-approval", None),
        ("GET", "/api/trading/wallet", None),
        ("POST", "/api/trading/wallet/deposits", {"amount": "10.00"}),
        ("POST", "/api/trading/listings", {"nftId": nft["id"], "price": "1.00"}),
        ("DELETE", f"/api/trading/listings/{listing}", None),
        ("POST", f"/api/trading/listings/{listing}/purchases", None),
        ("GET", f"/api/trading/purchases/{listing}", None),
    ]


def snapshot(edge: Raw, people: dict[str, Account], nft: dict) -> tuple:
    admin = people["admin"].auth
    _, stored_nft = edge.call("GET", f"/api/nfts/{nft['id']}")
    _, users = edge.call("GET", "/api/users?limit=100", headers=admin)
    return stored_nft, sorted((u["id"], tuple(u["roles"]), u["disabled"]) for u in users)


def test_bola_another_users_objects_every_method(edge, people, bobs_nft):
    tally, alice, bob = Tally("matrix"), people["alice"], people["bob"]
    before = snapshot(edge, people, bobs_nft)
    # Each of Bob's resources with a body that is valid for it, so ownership is what decides.
    resources = {
        f"/api/nfts/{bobs_nft['id']}": {"name": "stolen"},
        f"/api/nfts/{bobs_nft['id']}/transfer": {"toUserId": alice.id},
        f"/api/nfts/{bobs_nft['id']}/sale-approval": {"listingId": alice.id},
        f"/api/users/{bob.id}": {"username": "stolen"},
        f"/api/users/{bob.id}/roles": {"roles": ["Admin"]},
        f"/api/users/{bob.id}/status": {"disabled": True},
    }
    public_reads = {f"/api/nfts/{bobs_nft['id']}", f"/api/users/{bob.id}"}
    for path, body in resources.items():
        for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
            sent = None if method in ("GET", "HEAD") else body
            status, _ = edge.call(method, path, sent, alice.auth)
            # Reading a public NFT or profile is fine; nothing else of Bob's is Alice's to do.
            allowed = {403, 404, 405} | (
                {200} if method in ("GET", "HEAD") and path in public_reads else set()
            )
            tally.refused("BOLA", f"{method} {path}", status, allowed)
    tally.assert_no_bypass("BOLA")
    assert snapshot(edge, people, bobs_nft) == before, "an object of Bob's changed"


@dataclass(frozen=True)
class Sidecar:
    """One instance's sidecar inbound, reached three ways."""

    as_edge: Raw  # mTLS with the edge's certificate: what the sidecar admits for the API
    without_certificate: Raw  # TLS, the server verified, no client certificate
    plaintext: Raw


def sidecar_of(mesh: Mesh, service: str) -> Sidecar:
    address = mesh.instances[service][0].instance.inbound_address
    return Sidecar(
        as_edge=Raw(f"https://{address}", workload_context(mesh, "edge")),
        without_certificate=Raw(f"https://{address}", client_context(mesh_ca_file(mesh))),
        plaintext=Raw(f"http://{address}"),
    )


def test_a_port_with_nothing_listening_is_no_refusal_at_the_handshake(mesh):
    """The handshake refusals below count only when a server ended the connection: a sidecar
    that is not running must fail the matrix, not pass it."""
    nothing = f"127.0.0.1:{free_port()}"
    for raw in (
        Raw(f"https://{nothing}", workload_context(mesh, "edge")),
        Raw(f"https://{nothing}", client_context(mesh_ca_file(mesh))),
        Raw(f"http://{nothing}"),
    ):
        with pytest.raises(ConnectionRefusedError):
            raw.status_or_refusal("GET", "/api/users/me")


def test_forged_tokens_are_refused_at_the_edge_and_by_every_service(mesh, edge, people, bobs_nft):
    tally = Tally("matrix")
    before = snapshot(edge, people, bobs_nft)
    forgeries = forged_tokens(uuid.UUID(people["admin"].id))
    operations = protected_operations(people, bobs_nft)
    sidecars = {
        prefix: sidecar_of(mesh, name)
        for name, prefix in (
            ("nft", "/api/nfts"),
            ("user", "/api/users"),
            ("trading", "/api/trading"),
        )
    }
    for name, token in forgeries.items():
        for method, path, body in operations:
            headers = {"Authorization": f"Bearer {token}"}
            status, _ = edge.call(method, path, body, headers)
            tally.refused("forged via edge", f"{name}: {method} {path}", status, {401})
            sidecar = next(s for prefix, s in sidecars.items() if path.startswith(prefix))
            status, _ = sidecar.as_edge.call(method, path, body, headers)
            tally.refused("forged via sidecar", f"{name}: {method} {path}", status, {401})
            for way, raw in (
                ("no certificate", sidecar.without_certificate),
                ("plaintext", sidecar.plaintext),
            ):
                status = raw.status_or_refusal(method, path, body, headers)
                case = f"{name}: {method} {path}"
                tally.refused(f"sidecar, {way}", case, status, {REFUSED_AT_HANDSHAKE})
    print(
        f"[matrix] forged tokens: {len(forgeries)} kinds x {len(operations)} operations x "
        "(the edge, a sidecar with the edge's certificate, without one, in plaintext)"
    )
    tally.assert_no_bypass(
        "forged via edge", "forged via sidecar", "sidecar, no certificate", "sidecar, plaintext"
    )
    assert snapshot(edge, people, bobs_nft) == before


def test_mass_assignment_of_privileged_fields_is_rejected(edge, people, bobs_nft):
    tally, bob = Tally("matrix"), people["bob"]
    before = snapshot(edge, people, bobs_nft)
    privileged = {
        "role": "Admin",
        "roles": ["Admin"],
        "owner_id": people["alice"].id,
        "ownerId": people["alice"].id,
        "is_admin": True,
        "creatorId": people["alice"].id,
    }
    name = f"m-{uuid.uuid4().hex[:10]}"
    writes = [
        (
            "POST",
            "/api/users",
            {"username": name, "email": f"{name}@e2e.example", "password": PASSWORD},
            {},
        ),
        ("POST", "/api/users/login", {"username": bob.username, "password": PASSWORD}, {}),
        ("POST", "/api/nfts", {"name": "mass"}, bob.auth),
        ("PATCH", f"/api/nfts/{bobs_nft['id']}", {"name": "mass"}, bob.auth),
        (
            "POST",
            f"/api/nfts/{bobs_nft['id']}/transfer",
            {"toUserId": people["alice"].id},
            bob.auth,
        ),
        ("PUT", f"/api/users/{bob.id}/roles", {"roles": ["User"]}, people["admin"].auth),
        ("PUT", f"/api/users/{bob.id}/status", {"disabled": False}, people["admin"].auth),
        (
            "PUT",
            f"/api/nfts/{bobs_nft['id']}/moderation",
            {"hidden": False},
            people["moderator"].auth,
        ),
        ("POST", "/api/users/token/refresh", {"refreshToken": "x"}, {}),
        (
            "POST",
            "/api/trading/market-data",
            {"assetSymbol": "M", "price": 1, "timestamp": 1},
            people["developer"].auth,
        ),
    ]
    for method, path, body, headers in writes:
        for field_name, value in privileged.items():
            if field_name in body:
                continue  # the operation's own field (roles on PUT roles): not an extra one
            status, _ = edge.call(method, path, {**body, field_name: value}, headers)
            tally.refused("mass assignment", f"{field_name} on {method} {path}", status, {400})
    tally.assert_no_bypass("mass assignment")
    assert snapshot(edge, people, bobs_nft) == before
    status, _ = edge.call("POST", "/api/users/login", {"username": name, "password": PASSWORD})
    assert status == 401, "a registration with a privileged field created an account"


def mangled(path: str) -> list[str]:
    """Spellings of `path` that a lax router might send to the same handler."""
    head, _, tail = path.removeprefix("/api/").partition("/")
    variants = [
        path,
        "/" + path,
        path.replace("/api/", "/api//"),
        path + "/",
        path.replace("/api/", "/api/./"),
        path.replace("/api/", "/api/x/../"),
        path.replace("/api/", "/api/%2E/"),
        path.replace("/api/users", "/api%2Fusers"),
        path.replace("/api/users", "/api/users/..;"),
        f"/api/{head};/{tail}" if tail else f"/api/{head};",
        path.upper(),
        path.replace("/api/users", "/API/users"),
        path.replace("/api/users", "/api/Users"),
        path + "?role=Admin",
        path + "%20",
        path + "%00",
    ]
    if tail:
        variants.append(path.replace(f"/{tail}", f"%2F{tail}"))
    return list(dict.fromkeys(variants))


def test_bfla_admin_operations_refuse_other_roles_on_every_spelling(edge, people, bobs_nft):
    tally, target = Tally("matrix"), people["alice"]
    admin_operations = [
        ("GET", "/api/users", None),
        ("PUT", f"/api/users/{target.id}/roles", {"roles": ["Admin"]}),
        ("PUT", f"/api/users/{target.id}/status", {"disabled": True}),
    ]
    for role in ("alice", "developer", "moderator"):
        caller = people[role]
        for method, path, body in admin_operations:
            for spelling in mangled(path):
                status, _ = edge.call(method, spelling, body, caller.auth)
                tally.refused("BFLA", f"{role}: {method} {spelling}", status, REFUSALS)
                if spelling == path:
                    tally.refused("BFLA exact", f"{role}: {method} {path}", status, {403})
    # The moderators' operation: hiding an NFT. Users and developers may not; a moderator may.
    moderation = f"/api/nfts/{bobs_nft['id']}/moderation"
    for role in ("alice", "developer"):
        for spelling in mangled(moderation):
            status, _ = edge.call("PUT", spelling, {"hidden": True}, people[role].auth)
            tally.refused("BFLA", f"{role}: PUT {spelling}", status, REFUSALS)
    status, nft = edge.call("GET", f"/api/nfts/{bobs_nft['id']}")
    assert status == 200 and nft["hidden"] is False
    status, _ = edge.call("PUT", moderation, {"hidden": False}, people["moderator"].auth)
    assert status == 200
    tally.assert_no_bypass("BFLA", "BFLA exact")
    status, me = edge.call("GET", "/api/users/me", headers=target.auth)
    assert status == 200 and me["roles"] == ["User"] and me["disabled"] is False


def _claims_header(claims: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")


def test_client_sent_identity_headers_are_never_trusted(edge, people):
    tally, alice, admin = Tally("matrix"), people["alice"], people["admin"]
    as_admin = {
        "sub": admin.id,
        "roles": ["Admin", "User"],
        "iss": "capsure-user",
        "aud": "capsure",
    }
    spoofed = {
        "x-user": admin.id,
        "x-user-id": admin.id,
        "x-user-roles": "Admin",
        "x-roles": "Admin",
        "x-claims": json.dumps(as_admin),
        "x-jwt-payload": _claims_header(as_admin),
        "x-forwarded-user": admin.username,
        "x-auth-request-user": admin.username,
        "x-envoy-internal": "true",
        "x-envoy-original-path": "/api/users/me",
        "x-envoy-peer-metadata-id": "sidecar~admin",
        "x-envoy-attempt-count": "7",
        "x-envoy-original-dst-host": "127.0.0.1:1",
        "x-envoy-decorator-operation": "admin",
        # Obeyed, these would cut the call (504) or repeat it: still Alice, answered once.
        "x-envoy-upstream-rq-timeout-ms": "1",
        "x-envoy-retry-on": "5xx,retriable-4xx",
        "x-forwarded-for": "127.0.0.1",
        "x-capsure-client-ip": "10.0.0.1",
    }
    for name, value in spoofed.items():
        # With Alice's token: still Alice, still not an admin.
        status, me = edge.call("GET", "/api/users/me", headers={**alice.auth, name: value})
        tally.refused(
            "spoofed header",
            f"{name} as alice: whoami",
            200 if me.get("id") == alice.id else 599,
            {200},
        )
        status, _ = edge.call("GET", "/api/users", headers={**alice.auth, name: value})
        tally.refused("spoofed header", f"{name} as alice: admin list", status, {403})
        # With no token at all: nothing protected opens.
        status, _ = edge.call("GET", "/api/users/me", headers={name: value})
        tally.refused("spoofed header", f"{name} without token", status, {401})
    tally.assert_no_bypass("spoofed header")


def test_login_throttle_holds_whatever_address_the_client_claims(edge):
    """Each failure claims another client address; the edge overwrites the claim with the real
    peer, so they all count against one client and the limit (12 here) holds."""
    tally, limit = Tally("matrix"), 12
    statuses = []
    for attempt in range(limit + 1):
        spoof = {
            "x-capsure-client-ip": f"198.51.100.{attempt}",
            "x-forwarded-for": f"203.0.113.{attempt}",
        }
        body = {"username": f"ghost{attempt}", "password": "wrong-password"}
        connection = http.client.HTTPConnection(edge.host, edge.port, timeout=10)
        connection.request("POST", "/api/users/login", json.dumps(body), {**JSON, **spoof})
        response = connection.getresponse()
        response.read()
        connection.close()
        statuses.append(response.status)
        if response.status == 429:
            assert int(response.getheader("Retry-After", "0")) >= 1
            break
    # Earlier tests' failed logins (from the same real client) count too: 429 may come sooner.
    tally.refused("throttle", f"{len(statuses)} failures, spoofed addresses", statuses[-1], {429})
    tally.outcomes.update(f"throttle: {s}" for s in statuses[:-1])
    tally.assert_no_bypass("throttle")
    assert set(statuses[:-1]) <= {401}


def test_x_envoy_headers_sent_straight_to_a_sidecar_steer_nothing(mesh, people):
    """Skipping the edge, with the edge's own certificate (what a process that stole it would
    hold): the sidecar believes no caller's x-envoy-* header either. Obeyed, a 1 ms timeout
    would cut every call (504) and retry-on would repeat a refused one. Without a certificate
    the same requests never get past the handshake."""
    tally = Tally("matrix")
    steering = {
        "x-envoy-upstream-rq-timeout-ms": "1",
        "x-envoy-upstream-rq-per-try-timeout-ms": "1",
        "x-envoy-retry-on": "5xx,retriable-4xx",
        "x-envoy-max-retries": "5",
        "x-envoy-internal": "true",
    }
    sidecar = sidecar_of(mesh, "user")
    alice = people["alice"]
    for name, value in steering.items():
        headers = {**alice.auth, name: value}
        status, me = sidecar.as_edge.call("GET", "/api/users/me", headers=headers)
        tally.refused(
            "sidecar x-envoy", f"{name}: whoami", 200 if me.get("id") == alice.id else 599, {200}
        )
        for way, raw in (
            ("no certificate", sidecar.without_certificate),
            ("plaintext", sidecar.plaintext),
        ):
            status = raw.status_or_refusal("GET", "/api/users/me", headers=headers)
            tally.refused("sidecar x-envoy", f"{name}: {way}", status, {REFUSED_AT_HANDSHAKE})
    status, _ = sidecar.as_edge.call("GET", "/api/users", headers={**alice.auth, **steering})
    tally.refused("sidecar x-envoy", "all: admin list", status, {403})
    tally.assert_no_bypass("sidecar x-envoy")


def _clean_problem(reply: Reply | H2Reply) -> int:
    """The reply's status when it is a problem+json that says that status and does not echo
    the Host; NOT_A_CLEAN_PROBLEM otherwise."""
    return problem_outcome(reply.status, reply.headers, reply.body, never_echoing=ATTACKER_HOST)


def _edge_address(mesh: Mesh) -> tuple[str, int]:
    url = urlsplit(mesh.edge_url)
    return url.hostname or "127.0.0.1", url.port or 80


def test_the_edges_own_refusals_are_problems_that_echo_nothing(mesh, people):
    """Requests no client library sends, byte for byte: Envoy answers them itself."""
    tally, address = Tally("matrix"), _edge_address(mesh)
    to_host = [("host", ATTACKER_HOST)]
    (authorization,) = people["alice"].auth.items()
    assets = "/api/analytics/assets"
    http1_cases = {
        "header name with _": (request_bytes("GET", assets, [*to_host, ("x_user", "1")]), 400),
        "unknown method": (request_bytes("FOO", assets, to_host), 400),
        "malformed request line": (b"GARBAGE /\r\n\r\n", 400),
        "control character in a header": (
            request_bytes("GET", assets, [*to_host, ("x-a", "a\x01b")]),
            400,
        ),
        "encoded slash": (request_bytes("GET", "/api/nfts%2Fuser", to_host), 400),
        "no Host": (request_bytes("GET", assets, []), 400),
        "headers too large": (
            request_bytes("GET", assets, [*to_host, ("x-big", "a" * 70000)]),
            431,
        ),
        "too many headers": (
            request_bytes("GET", assets, [*to_host, *((f"x-{n}", "1") for n in range(101))]),
            431,
        ),
        "HTTP/1.0": (b"GET /api/analytics/assets HTTP/1.0\r\n\r\n", 426),
        "unrouted path": (request_bytes("GET", "/admin", to_host), 404),
        "TRACE with a token": (request_bytes("TRACE", assets, [*to_host, authorization]), 501),
    }
    for case, (request, status) in http1_cases.items():
        outcome = _clean_problem(http1(address, request))
        tally.refused("edge refusal", case, outcome, {status})
    h2 = [(":scheme", "http"), (":authority", ATTACKER_HOST)]
    token = (authorization[0].lower(), authorization[1])
    for method in ("FOO", "PROPFIND", "TRACE"):  # any token is a method over HTTP/2
        reply = http2(address, [(":method", method), *h2, (":path", assets), token])
        tally.refused("edge refusal", f"HTTP/2 {method}", _clean_problem(reply), {501})
    # gRPC keeps gRPC statuses: UNIMPLEMENTED for an unknown service, no problem body.
    grpc = [(":method", "POST"), *h2, (":path", "/x.Unknown/Call")]
    reply = http2(address, [*grpc, ("content-type", "application/grpc")])
    status = 200 if (reply.headers.get("grpc-status"), reply.body) == ("12", b"") else 599
    tally.refused("edge refusal", "gRPC unknown service", status, {200})
    tally.assert_no_bypass("edge refusal")


def test_no_401_reflects_the_host_it_was_sent_to(mesh, people):
    """The edge's challenge names one fixed realm (jwt_authn's own is http://<Host><path>); a
    service's own 401s (tokens the edge lets through, the service refuses) pass through the
    edge and must not reflect it either."""
    tally, address = Tally("matrix"), _edge_address(mesh)
    to_host = [("host", ATTACKER_HOST)]
    expected_challenges = {
        "no token": CHALLENGE,
        "garbage token": INVALID_TOKEN_CHALLENGE,
        "token signed by another key": INVALID_TOKEN_CHALLENGE,
    }
    forgeries = forged_tokens(uuid.UUID(people["admin"].id))
    tokens = {
        "no token": None,
        "garbage token": forgeries["garbage"],
        "token signed by another key": forgeries["signed with another key"],
        # Valid for the edge, refused by the user service itself.
        "unknown role (the service's 401)": forgeries["unknown role"],
        "sub not a uuid (the service's 401)": forgeries["sub not a uuid"],
    }
    app_challenges = set()
    for case, token in tokens.items():
        auth = [] if token is None else [("authorization", f"Bearer {token}")]
        # The edge's refusals on a path naming the Host too (jwt_authn's realm held both).
        path = f"/api/users/me/{ATTACKER_HOST}" if case in expected_challenges else "/api/users/me"
        reply = http1(address, request_bytes("GET", path, [*to_host, *auth]))
        outcome = _clean_problem(reply)
        challenge = reply.headers.get("www-authenticate")
        if case in expected_challenges and challenge != expected_challenges[case]:
            outcome = NOT_A_CLEAN_PROBLEM
        if case not in expected_challenges:
            app_challenges.add(challenge)
        tally.refused("401 challenge", case, outcome, {401})
    seen = sorted(map(str, app_challenges))
    print(f"[matrix] the services' own 401s carry WWW-Authenticate: {seen}")
    tally.assert_no_bypass("401 challenge")


# --- hostile input ---------------------------------------------------------------------------

TEN_MB = 10_000_000
SMALL = 2048  # bytes: the most a refusal of a 10 MB request may take, answer or log growth


def log_size(mesh: Mesh, service: str) -> int:
    return mesh.instances[service][0].app.log_path.stat().st_size


def with_raw_field(body: dict, name: str, raw: bytes) -> bytes:
    """`body` as JSON plus the field `name` whose value is `raw`, bytes no encoder would write."""
    return json.dumps(body).encode()[:-1] + b', "' + name.encode() + b'": ' + raw + b"}"


def test_a_10_mb_field_gets_a_small_400_and_a_small_log(mesh, edge, people):
    tally, bob = Tally("matrix"), people["bob"]
    name = f"m-{uuid.uuid4().hex[:10]}"
    account = {"username": name, "email": f"{name}@e2e.example", "password": PASSWORD}
    big = "x" * TEN_MB
    alert = {"assetSymbol": big, "direction": "above", "threshold": 1}
    writes = [
        ("nft", "/api/nfts", {"name": big}, bob.auth),
        ("nft", "/api/nfts", {"name": "a", big: 1}, bob.auth),
        ("nft", "/api/nfts", {"name": [big]}, bob.auth),
        ("user", "/api/users", {**account, "username": big}, {}),
        ("user", "/api/users", {**account, "password": big}, {}),
        ("trading", "/api/trading/wallet/deposits", {"amount": "1" * TEN_MB}, bob.auth),
        ("notification", "/api/notifications/alerts", alert, bob.auth),
    ]
    answers, growth = [], []
    for service, path, body, headers in writes:
        before = log_size(mesh, service)
        status, answer, content = edge.send("POST", path, json.dumps(body).encode(), headers)
        answers.append(len(content))
        growth.append(log_size(mesh, service) - before)
        problem = answer.get("content-type") == PROBLEM
        small = problem and len(content) < SMALL and growth[-1] < SMALL
        case = f"POST {path}: {status}, {len(content)} B, log +{growth[-1]} B"
        tally.refused("10 MB field", case, status if small else NOT_A_CLEAN_PROBLEM, {400})
    print(f"[matrix] 10 MB fields: answers {min(answers)}-{max(answers)} B, log growth {growth} B")
    tally.assert_no_bypass("10 MB field")


def test_json_that_breaks_parsers_is_a_400_problem(edge, people):
    tally, bob = Tally("matrix"), people["bob"]
    name = f"m-{uuid.uuid4().hex[:10]}"
    account = {"email": f"{name}@e2e.example", "password": PASSWORD}
    values = {
        "nested 10,000 deep": b"[" * 10_000 + b"]" * 10_000,
        "an integer of 5,000 digits": b"9" * 5000,
        "a lone surrogate": b'"\\ud800"',
        "NaN": b"NaN",
        "invalid UTF-8": b'"\xff\xfe"',
    }
    for case, value in values.items():
        for path, body, field_name, headers in (
            ("/api/nfts", {}, "name", bob.auth),
            ("/api/users", account, "username", {}),
        ):
            payload = with_raw_field(body, field_name, value)
            status, answer, _ = edge.send("POST", path, payload, headers)
            problem = answer.get("content-type") == PROBLEM
            outcome = status if problem else NOT_A_CLEAN_PROBLEM
            tally.refused("breaking JSON", f"{case}: POST {path}", outcome, {400})
    tally.assert_no_bypass("breaking JSON")


def test_undecodable_paths_and_queries_are_a_400_problem(edge, people):
    tally = Tally("matrix")
    for path in (
        "/api/nfts/%FF%FE",
        "/api/nfts/%ED%A0%80",  # a surrogate, CESU-8 encoded
        f"/api/nfts/user/{people['bob'].id}?limit=%ED%A0%80",
        "/api/analytics/assets?limit=%FF",
        "/api/trading/listings?status=%C0%AF",  # an overlong '/'
    ):
        status, answer, _ = edge.send("GET", path)
        problem = answer.get("content-type") == PROBLEM
        tally.refused("undecodable target", path, status if problem else NOT_A_CLEAN_PROBLEM, {400})
    tally.assert_no_bypass("undecodable target")


def test_no_answer_reflects_the_clients_host(edge, people, bobs_nft):
    """A trailing slash was redirected to http://<the client's Host>/<path without it>."""
    tally = Tally("matrix")
    paths = [
        "/api/nfts/",
        f"/api/nfts/{bobs_nft['id']}/",
        "/api/users/",
        "/api/users/login/",
        "/api/analytics/assets/",
        "/api/trading/listings/",
        "/api/notifications/",
    ]
    for path in paths:
        for method in ("GET", "POST"):
            headers = {"Host": "evil.example", **people["bob"].auth}
            status, answer, content = edge.send(method, path, b"{}", headers)
            reflected = b"evil.example" in content or "evil.example" in str(answer)
            problem = answer.get("content-type") == PROBLEM
            outcome = status if problem and not reflected else NOT_A_CLEAN_PROBLEM
            case = f"{method} {path} -> {status} {answer.get('location')}"
            tally.refused("Host reflection", case, outcome, {404})
    tally.assert_no_bypass("Host reflection")


def test_anonymous_idempotency_keys_do_not_collide(edge):
    """Two clients registering with the same key: each gets its own account (not the other's
    stored answer, not a 422), and each one's retry replays its own answer."""
    tally, key = Tally("matrix"), {"Idempotency-Key": f"shared-{uuid.uuid4().hex}"}
    names = [f"m-{uuid.uuid4().hex[:10]}" for _ in range(2)]
    bodies = [{"username": n, "email": f"{n}@e2e.example", "password": PASSWORD} for n in names]
    first = [edge.call("POST", "/api/users", body, key) for body in bodies]
    for (status, created), name in zip(first, names, strict=True):
        own = status == 201 and created.get("username") == name
        outcome = 201 if own else NOT_A_CLEAN_PROBLEM
        tally.refused("anonymous key", f"{name}: {status}", outcome, {201})
    for body, (_, created) in zip(bodies, first, strict=True):
        status, answer, content = edge.send("POST", "/api/users", json.dumps(body).encode(), key)
        replayed = answer.get("idempotent-replayed") == "true" and json.loads(content) == created
        outcome = status if replayed else NOT_A_CLEAN_PROBLEM
        tally.refused("anonymous key", f"retry {body['username']}: {status}", outcome, {201})
    tally.assert_no_bypass("anonymous key")


def test_the_published_contracts_leave_internal_operations_out(edge):
    tally = Tally("matrix")
    prefixes = ("/api/nfts", "/api/users", "/api/analytics", "/api/trading", "/api/notifications")
    for prefix in prefixes:
        status, published = edge.call("GET", f"{prefix}/openapi.json")
        internal = [path for path in published.get("paths", {}) if path.startswith("/internal/")]
        outcome = 200 if status == 200 and not internal else NOT_A_CLEAN_PROBLEM
        tally.refused("published contract", f"{prefix}: {status} {internal}", outcome, {200})
    tally.assert_no_bypass("published contract")
