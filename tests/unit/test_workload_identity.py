"""SPIFFE IDs of the mesh's workloads, and the caller a sidecar reports in XFCC."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from services.common.workload_identity import (
    MAX_XFCC_LENGTH,
    PeerCertificate,
    caller_from_xfcc,
    same_host,
    service_of,
    spiffe_id,
    xfcc_of,
)
from tests.support.callers import called_by

pytestmark = pytest.mark.unit

ENVOY_XFCC = (
    "By=spiffe://capsure.local/svc/nft;Hash=a247;"
    'Subject="CN=trading-1,O=capsure-mesh";URI=spiffe://capsure.local/svc/trading'
)


def test_a_service_has_one_spiffe_id_and_it_reads_back() -> None:
    assert spiffe_id("nft") == "spiffe://capsure.local/svc/nft"
    assert service_of(spiffe_id("notification")) == "notification"
    for foreign in (
        "spiffe://evil.local/svc/nft",
        "spiffe://capsure.local/svc/nft/extra",
        "spiffe://capsure.local/operator",
        "https://capsure.local/svc/nft",
    ):
        assert service_of(foreign) is None
    with pytest.raises(ValueError):
        spiffe_id("NFT/../user")


def test_the_header_envoy_sets_names_the_service_and_the_instance() -> None:
    caller = caller_from_xfcc(ENVOY_XFCC)
    assert caller is not None
    assert (caller.service, caller.common_name) == ("trading", "trading-1")
    assert caller.hosts() == frozenset()  # no certificate forwarded


def test_the_header_is_written_as_envoy_writes_it() -> None:
    trading = PeerCertificate(spiffe_id("trading"), "CN=trading-1,O=capsure-mesh")
    assert xfcc_of(trading, by=spiffe_id("nft"), certificate_hash="a247") == ENVOY_XFCC
    # What an app's sidecar sets (mesh/envoy/sidecar.py): the SPIFFE ID only.
    uri_only = PeerCertificate(spiffe_id("trading"), "")
    header = xfcc_of(uri_only, by=spiffe_id("nft"), certificate_hash="a247")
    assert (
        header
        == "By=spiffe://capsure.local/svc/nft;Hash=a247;URI=spiffe://capsure.local/svc/trading"
    )


@pytest.mark.parametrize(
    "caller",
    [
        PeerCertificate(spiffe_id("nft"), ""),
        PeerCertificate(spiffe_id("nft"), "CN=nft-1,O=capsure-mesh"),
        PeerCertificate(spiffe_id("nft"), 'CN=a "quoted"; one\\,O=x'),
        PeerCertificate(spiffe_id("nft"), "CN=nft-1", "-----BEGIN CERTIFICATE-----\nAB+/=\n"),
    ],
    ids=["uri only", "subject", "quotes and separators", "certificate"],
)
def test_the_header_written_reads_back_as_the_caller(caller: PeerCertificate) -> None:
    assert caller_from_xfcc(xfcc_of(caller, by=spiffe_id("user"), certificate_hash="0")) == caller


def test_a_forwarded_certificate_gives_its_hosts() -> None:
    header = called_by("nft", "nft-1", hosts=("127.0.0.1", "nft-1"))["x-forwarded-client-cert"]
    caller = caller_from_xfcc(header)
    assert caller is not None and caller.hosts() == {"127.0.0.1", "nft-1"}


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        f"{ENVOY_XFCC},{ENVOY_XFCC}",  # appended to: not the sidecar's own, single element
        "By=x;Hash=y",  # no URI
        "URI",  # no value
        "URI=" + "a" * MAX_XFCC_LENGTH,  # too long to be one hop's
    ],
)
def test_a_missing_or_malformed_header_names_nobody(header: str | None) -> None:
    assert caller_from_xfcc(header) is None


def test_an_unparsable_certificate_has_no_hosts() -> None:
    caller = caller_from_xfcc(f'URI={spiffe_id("nft")};Cert="{quote("not a pem")}"')
    assert caller is not None and caller.hosts() == frozenset()


def test_hosts_compare_as_addresses() -> None:
    assert same_host("::1", "0:0::1")
    assert same_host("Registry", "registry")
    assert not same_host("127.0.0.1", "127.0.0.2")
