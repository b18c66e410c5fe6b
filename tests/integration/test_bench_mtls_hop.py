"""The hops bench.mtls_hop measures are what its report says they are: real Envoys on the
mesh's generated configs in front of a header-echoing upstream. The mesh's mTLS hop hands the
app the caller's verified identity, the transport-only and plaintext hops do not; the
'new connection per request' callers open one per request, resuming the TLS session or not.
The real read it also puts the hops in front of is the seeded owner's NFTs, hop or not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.hop_envoys import CALLEE_CLUSTER, CallerVariant, Hop, running_hops
from bench.nft_read import NFTS, running_nft_read
from services.common.workload_identity import XFCC_HEADER, spiffe_id
from tests.support.edge_upstream import Upstream, serving

pytestmark = pytest.mark.integration

PATH = "/api/nfts/user/7"
PLAIN = CallerVariant("plaintext", secure=False)
TRANSPORT = CallerVariant("transport only", secure=True, callee_checks=False)
MTLS = CallerVariant("the mesh's mTLS", secure=True)
RESUMED = CallerVariant("resumed", secure=True, new_connection_per_request=True)
FULL = CallerVariant("full", secure=True, new_connection_per_request=True, session_resumption=False)
REQUESTS = 4


@pytest.fixture(scope="module")
def hops(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Hop]]:
    workdir = tmp_path_factory.mktemp("mtls-hop")
    with (
        serving(Upstream(jwks={}), "/no-jwks") as upstream,
        running_hops((PLAIN, TRANSPORT, MTLS, RESUMED, FULL), upstream.port, PATH, workdir) as hops,
    ):
        yield hops


def caller_seen_by_app(hop: Hop) -> str | None:
    answer = httpx.get(hop.url, timeout=5, trust_env=False)
    assert answer.status_code == 200, answer.text
    return answer.json()["headers"].get(XFCC_HEADER)


def test_only_the_meshs_hop_tells_the_app_who_called(hops: dict[str, Hop]) -> None:
    caller = caller_seen_by_app(hops[MTLS.label])
    assert caller is not None and f"URI={spiffe_id('user')}" in caller
    assert caller_seen_by_app(hops[TRANSPORT.label]) is None
    assert caller_seen_by_app(hops[PLAIN.label]) is None


def counters(hop: Hop) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        hop.caller.counter(f"cluster.{CALLEE_CLUSTER}.{name}")
        for name in ("upstream_cx_total", "ssl.handshake", "ssl.session_reused")
    )


@pytest.mark.parametrize(("variant", "resumes"), [(RESUMED, True), (FULL, False)])
def test_a_new_hop_connection_and_handshake_for_every_request(
    hops: dict[str, Hop], variant: CallerVariant, resumes: bool
) -> None:
    hop = hops[variant.label]
    connections, handshakes, resumed = counters(hop)
    for _ in range(REQUESTS):
        caller_seen_by_app(hop)
    after = counters(hop)
    assert after[0] - connections >= REQUESTS
    assert after[1] - handshakes >= REQUESTS
    if resumes:
        assert after[2] - resumed >= REQUESTS
    else:
        assert after[2] == resumed == 0


def test_the_keep_alive_hop_reuses_its_connection(hops: dict[str, Hop]) -> None:
    hop = hops[MTLS.label]
    caller_seen_by_app(hop)  # the pool holds a connection now
    connections, handshakes, _ = counters(hop)
    for _ in range(REQUESTS):
        caller_seen_by_app(hop)
    assert counters(hop)[:2] == (connections, handshakes)


def test_the_real_read_is_the_seeded_nfts_through_the_meshs_hop(tmp_path: Path) -> None:
    with (
        running_nft_read(tmp_path / "read") as read,
        running_hops((MTLS,), read.port, read.path, tmp_path / "hops") as hops,
    ):
        alone = httpx.get(read.url, timeout=5, trust_env=False)
        through_the_hop = httpx.get(hops[MTLS.label].url, timeout=5, trust_env=False)
    assert alone.status_code == through_the_hop.status_code == 200, through_the_hop.text
    owner = read.path.rsplit("/", 1)[1]
    assert [nft["ownerId"] for nft in through_the_hop.json()] == [owner] * NFTS
    assert through_the_hop.content == alone.content
