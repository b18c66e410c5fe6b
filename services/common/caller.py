"""The workload that called this instance, as this instance's sidecar verified it (mTLS)."""

from __future__ import annotations

from connexion import request

from services.common.workload_identity import XFCC_HEADER, PeerCertificate, caller_from_xfcc


def verified_caller() -> PeerCertificate | None:
    """The current request's caller from the header the sidecar sets after verifying the
    caller's certificate (it drops any copy the caller sent); None when there is none. Only
    sound because nothing but the sidecar can reach the app."""
    return caller_from_xfcc(request.headers.get(XFCC_HEADER))
