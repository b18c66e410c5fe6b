"""The mesh CA and the node agent: what a certificate says, where it is written, when renewed."""

from __future__ import annotations

import stat
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from mesh.identity.agent import NodeAgent, Workload
from mesh.identity.ca import (
    ROOT_FILE,
    ROOT_KEY_FILE,
    CertificateRequest,
    IssuedCertificate,
    LocalCertificateAuthority,
)
from mesh.identity.files import CERTIFICATE_SDS_FILE, TRUST_SDS_FILE
from mesh.identity.local import CA_DIR, IDENTITY_DIR, local_node_agent
from services.common.workload_identity import spiffe_id
from tests.support.clock import FakeClock

pytestmark = pytest.mark.unit

RACE_ROUNDS, RACE_STARTERS = 20, 4


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_leaf_carries_one_spiffe_id_its_instance_and_hosts(clock: FakeClock) -> None:
    authority = LocalCertificateAuthority.create(clock=clock.__call__)
    request = CertificateRequest(spiffe_id("nft"), "nft-1", timedelta(hours=1), ("127.0.0.1",))
    issued = authority.issue(request)
    certificate = x509.load_pem_x509_certificate(issued.certificate_pem)
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.UniformResourceIdentifier) == [spiffe_id("nft")]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert certificate.subject.rfc4514_string() == "CN=nft-1,O=capsure-mesh"
    usages = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(usages) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert constraints.ca is False
    assert issued.not_after == clock.now + timedelta(hours=1)
    # Half the lifetime from issuance, not from the minute it is backdated by.
    assert issued.renew_at() == clock.now + timedelta(minutes=30)
    assert issued.not_before == clock.now - timedelta(minutes=1)
    root = x509.load_pem_x509_certificate(authority.trust_bundle_pem)
    certificate.verify_directly_issued_by(root)


def test_the_ca_is_created_once_private_and_loaded_after(tmp_path: Path) -> None:
    first = LocalCertificateAuthority.load_or_create(tmp_path / "ca")
    again = LocalCertificateAuthority.load_or_create(tmp_path / "ca")
    assert first.trust_bundle_pem == again.trust_bundle_pem
    assert mode(tmp_path / "ca") == 0o700
    assert mode(tmp_path / "ca" / "ca-key.pem") == 0o600


def open_directory(path: Path) -> Path:
    """A directory as an older run or another tool may have left it: 0755."""
    path.mkdir(parents=True)
    path.chmod(0o755)
    return path


def test_an_open_ca_directory_is_closed(tmp_path: Path) -> None:
    directory = open_directory(tmp_path / "ca")
    LocalCertificateAuthority.load_or_create(directory)
    assert mode(directory) == 0o700


def test_a_first_start_interrupted_before_the_certificate_is_finished_by_the_next(
    tmp_path: Path,
) -> None:
    """The key is written first: a key without its certificate is an unfinished create."""
    directory = tmp_path / "ca"
    directory.mkdir(mode=0o700)
    (directory / ROOT_KEY_FILE).write_bytes(LocalCertificateAuthority.create().private_key_pem)
    authority = LocalCertificateAuthority.load_or_create(directory)
    assert (directory / ROOT_FILE).read_bytes() == authority.trust_bundle_pem
    assert (directory / ROOT_KEY_FILE).read_bytes() == authority.private_key_pem
    assert LocalCertificateAuthority.load(directory).trust_bundle_pem == authority.trust_bundle_pem


def test_starters_racing_to_create_the_ca_all_load_the_one_created(tmp_path: Path) -> None:
    """Without taking turns, about one round in three had a starter fail (its key or
    certificate existed by the time it wrote it) or end with a CA the others did not."""
    for round_ in range(RACE_ROUNDS):
        directory = tmp_path / f"ca-{round_}"
        start = threading.Barrier(RACE_STARTERS)

        def starter(directory: Path = directory, start: threading.Barrier = start) -> bytes:
            start.wait(timeout=10)
            return LocalCertificateAuthority.load_or_create(directory).trust_bundle_pem

        with ThreadPoolExecutor(RACE_STARTERS) as pool:
            bundles = [f.result() for f in [pool.submit(starter) for _ in range(RACE_STARTERS)]]
        assert bundles == [(directory / ROOT_FILE).read_bytes()] * RACE_STARTERS, round_


def test_a_key_that_is_not_the_certificates_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "ca"
    LocalCertificateAuthority.load_or_create(directory)
    (directory / ROOT_KEY_FILE).write_bytes(LocalCertificateAuthority.create().private_key_pem)
    with pytest.raises(ValueError, match="is not the key of"):
        LocalCertificateAuthority.load_or_create(directory)


def test_the_local_agent_closes_its_open_directories(tmp_path: Path) -> None:
    ca, identities = open_directory(tmp_path / CA_DIR), open_directory(tmp_path / IDENTITY_DIR)
    agent = local_node_agent(tmp_path, timedelta(hours=1))
    assert agent.root == identities
    assert (mode(ca), mode(identities)) == (0o700, 0o700)


def test_the_agent_writes_sds_files_envoy_reads_and_renews_at_half_life(
    tmp_path: Path, clock: FakeClock
) -> None:
    authority = LocalCertificateAuthority.create(clock=clock.__call__)
    agent = NodeAgent(authority, tmp_path, timedelta(minutes=10), clock=clock.__call__)
    directory = agent.provision(Workload("nft-1", spiffe_id("nft"), ("127.0.0.1",)))
    assert mode(directory) == 0o700
    assert {p.name for p in directory.iterdir()} == {CERTIFICATE_SDS_FILE, TRUST_SDS_FILE}
    assert all(mode(p) == 0o600 for p in directory.iterdir())
    (secret,) = yaml.safe_load((directory / CERTIFICATE_SDS_FILE).read_text())["resources"]
    assert secret["name"] == "identity"
    pem = secret["tls_certificate"]["certificate_chain"]["inline_string"].encode()
    first = x509.load_pem_x509_certificate(pem).serial_number
    (trust,) = yaml.safe_load((directory / TRUST_SDS_FILE).read_text())["resources"]
    assert trust["validation_context"]["trusted_ca"]["inline_string"].encode() == (
        authority.trust_bundle_pem
    )

    clock.advance(4 * 60 + 59)
    assert agent.renew_due() == []
    clock.advance(1)  # half of 10 minutes from issuance
    assert agent.renew_due() == ["nft-1"]
    (secret,) = yaml.safe_load((directory / CERTIFICATE_SDS_FILE).read_text())["resources"]
    pem = secret["tls_certificate"]["certificate_chain"]["inline_string"].encode()
    assert x509.load_pem_x509_certificate(pem).serial_number != first

    agent.forget("nft-1")
    clock.advance(60 * 60)
    assert agent.renew_due() == []


def test_the_operator_gets_pem_files_for_curl(tmp_path: Path) -> None:
    from mesh.identity.operator import OperatorCredential, operator_workload

    agent = NodeAgent(LocalCertificateAuthority.create(), tmp_path)
    credential = OperatorCredential(agent.provision(operator_workload()))
    context = credential.ssl_context()
    assert context.verify_mode.name == "CERT_REQUIRED"
    assert mode(credential.key_file) == 0o600
    assert mode(credential.identity_file) == 0o600
    assert f"--cert {credential.identity_file}" in credential.curl_options()
    key, chain = credential.key_and_chain()
    assert key.startswith(b"-----BEGIN PRIVATE KEY-----") and b"CERTIFICATE" not in key
    assert chain.startswith(b"-----BEGIN CERTIFICATE-----")


def test_the_operator_credential_never_pairs_a_renewed_key_with_an_old_certificate(
    tmp_path: Path,
) -> None:
    """A reader racing renewals (the rotation test under load did: cert.pem then key.pem, read
    between the two writes) always gets one renewal's key and certificate."""
    from mesh.identity.operator import OperatorCredential, operator_workload

    agent = NodeAgent(LocalCertificateAuthority.create(), tmp_path)
    credential = OperatorCredential(agent.provision(operator_workload()))
    renewing, loads = threading.Event(), 0

    def renew() -> None:
        for _ in range(60):
            agent.provision(operator_workload())
        renewing.set()

    renewer = threading.Thread(target=renew)
    renewer.start()
    try:
        while not renewing.is_set():
            credential.ssl_context()  # raises KEY_VALUES_MISMATCH on a torn pair
            loads += 1
    finally:
        renewer.join(timeout=60)
    assert loads > 0 and not renewer.is_alive()


def test_an_expired_certificate_can_be_issued_for_attack_tests(clock: FakeClock) -> None:
    authority = LocalCertificateAuthority.create(clock=clock.__call__)
    request = CertificateRequest(spiffe_id("nft"), "old", timedelta(hours=1))
    past = datetime(2020, 1, 1, tzinfo=UTC)
    issued = authority.issue_valid(request, past, past + timedelta(hours=1))
    certificate = x509.load_pem_x509_certificate(issued.certificate_pem)
    assert certificate.not_valid_after_utc < clock.now


def test_a_short_lived_certificate_is_renewed_at_its_half_life_not_at_once(
    tmp_path: Path, clock: FakeClock
) -> None:
    """The backdated minute must not make a 6 s certificate due on every check."""
    authority = LocalCertificateAuthority.create(clock=clock.__call__)
    agent = NodeAgent(authority, tmp_path, timedelta(seconds=6), clock=clock.__call__)
    agent.provision(Workload("nft-1", spiffe_id("nft")))
    clock.advance(2)
    assert agent.renew_due() == []
    clock.advance(1)
    assert agent.renew_due() == ["nft-1"]


class Interfering:
    """The mesh CA, with something happening while it signs (as another thread would)."""

    def __init__(self, authority: LocalCertificateAuthority) -> None:
        self._authority = authority
        self.during: dict[str, Callable[[], None]] = {}  # common name -> what happens

    @property
    def trust_bundle_pem(self) -> bytes:
        return self._authority.trust_bundle_pem

    def issue(self, request: CertificateRequest) -> IssuedCertificate:
        if request.common_name in self.during:
            self.during[request.common_name]()
        return self._authority.issue(request)


def test_forgetting_a_workload_deletes_its_identity(tmp_path: Path) -> None:
    agent = NodeAgent(LocalCertificateAuthority.create(), tmp_path)
    directory = agent.provision(Workload("nft-1", spiffe_id("nft")))
    agent.forget("nft-1")
    assert not directory.exists()
    agent.forget("nft-1")  # again, or never provisioned: nothing to do


def test_a_renewal_racing_forget_does_not_bring_the_identity_back(
    tmp_path: Path, clock: FakeClock
) -> None:
    issuer = Interfering(LocalCertificateAuthority.create(clock=clock.__call__))
    agent = NodeAgent(issuer, tmp_path, timedelta(minutes=10), clock=clock.__call__)
    directory = agent.provision(Workload("nft-1", spiffe_id("nft")))
    issuer.during["nft-1"] = lambda: agent.forget("nft-1")  # removed while it is renewed
    clock.advance(5 * 60)
    assert agent.renew_due() == []
    assert not directory.exists()


def test_one_workload_that_cannot_be_renewed_holds_up_no_other(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    issuer = Interfering(LocalCertificateAuthority.create(clock=clock.__call__))
    agent = NodeAgent(issuer, tmp_path, timedelta(minutes=10), clock=clock.__call__)
    for number in (1, 2, 3):
        agent.provision(Workload(f"nft-{number}", spiffe_id("nft")))

    def refuse() -> None:
        raise OSError("the CA's disk is full")

    issuer.during["nft-2"] = refuse
    clock.advance(5 * 60)
    assert agent.renew_due() == ["nft-1", "nft-3"]
    assert "could not renew the certificate of nft-2" in caplog.text
    del issuer.during["nft-2"]
    assert agent.renew_due() == ["nft-2"]  # tried again next time
