"""The mesh's certificate authority: one root (key 0600 under the data dir, created on first
start, or mounted there), short-lived leaf certificates with a SPIFFE ID as the only URI SAN.

`cryptography` does all the cryptography. `CertificateIssuer` is the port a node agent uses;
an external CA (Vault, cert-manager) would be another adapter of it."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mesh.files import atomic_write, exclusive_lock, private_directory

ORGANIZATION = "capsure-mesh"
ROOT_FILE = "ca.pem"
ROOT_KEY_FILE = "ca-key.pem"
LOCK_FILE = ".create.lock"  # held by the one starter creating the CA
ROOT_VALIDITY = timedelta(days=365)
# Leaf certificates are backdated this much: a peer whose clock is slightly behind still
# accepts a certificate issued a moment ago.
CLOCK_SKEW = timedelta(minutes=1)
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class CertificateRequest:
    spiffe_id: str
    common_name: str  # the instance: nft-1, edge, registry, operator
    ttl: timedelta
    # Where it is reached (IP or DNS SANs): the registry lets an instance register only at a
    # host its certificate names, and a client checking hostnames (curl) accepts it.
    hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class IssuedCertificate:
    certificate_pem: bytes
    private_key_pem: bytes
    not_before: datetime  # backdated by CLOCK_SKEW from when it was issued
    not_after: datetime
    issued_at: datetime

    def renew_at(self, fraction: float = 0.5) -> datetime:
        """When to renew: `fraction` of the lifetime gone (half-life, as SPIRE and Istio do),
        counted from issuance, not from the backdated start (a 6 s certificate would
        otherwise be due at once)."""
        return self.issued_at + (self.not_after - self.issued_at) * fraction


class CertificateIssuer(Protocol):
    @property
    def trust_bundle_pem(self) -> bytes:
        """The root(s) a peer's certificate must chain to."""
        ...

    def issue(self, request: CertificateRequest) -> IssuedCertificate: ...


def _now() -> datetime:
    return datetime.now(UTC)


class LocalCertificateAuthority:
    """A root CA held in a directory: `ca.pem` and `ca-key.pem` (0600, in a 0700 directory)."""

    def __init__(
        self, certificate: x509.Certificate, key: ec.EllipticCurvePrivateKey, clock: Clock = _now
    ) -> None:
        self._certificate = certificate
        self._key = key
        self._clock = clock

    @classmethod
    def load_or_create(cls, directory: Path, clock: Clock = _now) -> LocalCertificateAuthority:
        """The CA in `directory`; a new one on first use (or the one mounted there). Starters
        racing to create it take turns (a lock file): the first creates it, the others load
        that one. The certificate is written last, so it says a CA is complete: a key without
        it is what an interrupted create left, and is replaced."""
        private_directory(directory)
        if not (directory / ROOT_FILE).exists():
            with exclusive_lock(directory / LOCK_FILE):
                if not (directory / ROOT_FILE).exists():  # not created while we waited
                    created = cls.create(clock=clock)
                    atomic_write(directory / ROOT_KEY_FILE, created.private_key_pem)
                    atomic_write(directory / ROOT_FILE, created.trust_bundle_pem, mode=0o644)
        return cls.load(directory, clock)

    @classmethod
    def load(cls, directory: Path, clock: Clock = _now) -> LocalCertificateAuthority:
        """The CA whose certificate and key are in `directory`."""
        certificate_path, key_path = directory / ROOT_FILE, directory / ROOT_KEY_FILE
        certificate = x509.load_pem_x509_certificate(certificate_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{key_path}: the mesh CA key must be an EC key")
        if key.public_key() != certificate.public_key():
            raise ValueError(f"{key_path} is not the key of {certificate_path}")
        return cls(certificate, key, clock)

    @classmethod
    def create(
        cls, name: str = "capsure-mesh root CA", clock: Clock = _now
    ) -> LocalCertificateAuthority:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
                x509.NameAttribute(NameOID.COMMON_NAME, name),
            ]
        )
        now = clock()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - CLOCK_SKEW)
            .not_valid_after(now + ROOT_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(signs_certificates=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        return cls(certificate, key, clock)

    @property
    def trust_bundle_pem(self) -> bytes:
        return self._certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def private_key_pem(self) -> bytes:
        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def issue(self, request: CertificateRequest) -> IssuedCertificate:
        now = self._clock()
        return self.issue_valid(request, now - CLOCK_SKEW, now + request.ttl, issued_at=now)

    def issue_valid(
        self,
        request: CertificateRequest,
        not_before: datetime,
        not_after: datetime,
        issued_at: datetime | None = None,
    ) -> IssuedCertificate:
        """A leaf valid exactly from `not_before` to `not_after` (tests issue expired ones)."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
                x509.NameAttribute(NameOID.COMMON_NAME, request.common_name),
            ]
        )
        issuer_key = self._certificate.public_key()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self._certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.UniformResourceIdentifier(request.spiffe_id), *map(_host, request.hosts)]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(signs_certificates=False), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key),  # type: ignore[arg-type]
                critical=False,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(self._key, hashes.SHA256())
        )
        return IssuedCertificate(
            certificate_pem=certificate.public_bytes(serialization.Encoding.PEM),
            private_key_pem=key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            not_before=not_before,
            not_after=not_after,
            issued_at=issued_at or not_before,
        )


def _key_usage(*, signs_certificates: bool) -> x509.KeyUsage:
    """A CA signs certificates (and CRLs); a workload signs its TLS handshakes."""
    return x509.KeyUsage(
        digital_signature=not signs_certificates,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=signs_certificates,
        crl_sign=signs_certificates,
        encipher_only=False,
        decipher_only=False,
    )


def _host(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)
