"""What a sidecar tells its app about the caller it verified (mTLS), for tests that call an
app directly as that sidecar would forward a peer's request."""

from __future__ import annotations

from services.common.workload_identity import XFCC_HEADER, spiffe_id


def called_by(service: str, instance: str | None = None) -> dict[str, str]:
    """The header the app's sidecar sets for a caller holding `service`'s certificate."""
    subject = f"CN={instance or f'{service}-1'},O=capsure-mesh"
    value = f'By={spiffe_id("test")};Hash=0;Subject="{subject}";URI={spiffe_id(service)}'
    return {XFCC_HEADER: value}
