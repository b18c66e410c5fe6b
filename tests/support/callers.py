"""What a sidecar tells its app about the caller it verified (mTLS), for tests that call an
app directly as that sidecar would forward a peer's request."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from urllib.parse import quote

from mesh.identity.ca import CertificateRequest, LocalCertificateAuthority
from services.common.workload_identity import XFCC_HEADER, spiffe_id


@cache
def _authority() -> LocalCertificateAuthority:
    return LocalCertificateAuthority.create("test CA")


def called_by(
    service: str, instance: str | None = None, *, hosts: tuple[str, ...] | None = None
) -> dict[str, str]:
    """The header the app's sidecar sets for a caller holding `service`'s certificate (of
    `instance`). With `hosts`, the whole certificate goes too, issued for those hosts, as the
    registry's sidecar forwards it."""
    name = instance or f"{service}-1"
    value = (
        f'By={spiffe_id("test")};Hash=0;Subject="CN={name},O=capsure-mesh";URI={spiffe_id(service)}'
    )
    if hosts is not None:
        request = CertificateRequest(spiffe_id(service), name, timedelta(minutes=5), hosts)
        pem = _authority().issue(request).certificate_pem.decode()
        value += f';Cert="{quote(pem, safe="")}"'
    return {XFCC_HEADER: value}
