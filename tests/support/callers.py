"""What a sidecar tells its app about the caller it verified (mTLS), for tests that call an
app directly as that sidecar would forward a peer's request."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from mesh.identity.ca import CertificateRequest, LocalCertificateAuthority
from services.common.workload_identity import XFCC_HEADER, PeerCertificate, spiffe_id, xfcc_of

SIDECAR = spiffe_id("test")  # the By of the header: the sidecar's own identity, read by nobody
UNCHECKED_HASH = "0" * 64  # the Hash: the certificate's SHA-256, read by nobody


@cache
def _authority() -> LocalCertificateAuthority:
    return LocalCertificateAuthority.create("test CA")


def called_by(
    service: str, instance: str | None = None, *, hosts: tuple[str, ...] | None = None
) -> dict[str, str]:
    """The header the app's sidecar sets for a caller holding `service`'s certificate: its
    SPIFFE ID alone, as an app's sidecar forwards it. With `instance` or `hosts`, the form
    the registry's sidecar forwards: the subject too (CN=<instance>, default <service>-1), and
    with `hosts` the whole certificate, issued for those hosts."""
    uri = spiffe_id(service)
    if instance is None and hosts is None:
        return called_as(uri)
    name = instance or f"{service}-1"
    certificate = None
    if hosts is not None:
        request = CertificateRequest(uri, name, timedelta(minutes=5), hosts)
        certificate = _authority().issue(request).certificate_pem.decode()
    return _forwarded(PeerCertificate(uri, f"CN={name},O=capsure-mesh", certificate))


def called_as(uri: str) -> dict[str, str]:
    """The header for a caller whose certificate names `uri`, as an app's sidecar forwards it:
    any SPIFFE ID, a service's or not (the operator's: workload_identity.OPERATOR_ID)."""
    return _forwarded(PeerCertificate(uri, ""))


def _forwarded(caller: PeerCertificate) -> dict[str, str]:
    return {XFCC_HEADER: xfcc_of(caller, by=SIDECAR, certificate_hash=UNCHECKED_HASH)}
