"""Which workloads may call a gRPC service, checked by the app on the caller its sidecar
verified (mTLS; the sidecar sets `x-forwarded-client-cert` and drops any copy a caller sent).
The sidecar's RBAC has admitted only those callers already: this is the second check."""

from __future__ import annotations

from typing import Any

from grpclib import GRPCError, Status
from grpclib.server import Stream

from services.common.grpc_servables import Method, Servable, each_method
from services.common.workload_identity import XFCC_HEADER, PeerCertificate, caller_from_xfcc


def stream_caller(stream: Stream[Any, Any]) -> PeerCertificate | None:
    """The caller of a gRPC stream as this instance's sidecar verified it (XFCC metadata), or
    None when there is none."""
    header = (stream.metadata or {}).get(XFCC_HEADER)
    return caller_from_xfcc(header if isinstance(header, str) else None)


def admitting_only(servable: Any, callers: frozenset[str]) -> Servable:
    """`servable` (a grpclib handler) whose methods answer PERMISSION_DENIED to any caller but
    the workloads named in `callers` (service names; the edge is `edge`)."""

    def admitting(method: Method) -> Method:
        async def handle(stream: Stream[Any, Any]) -> None:
            caller = stream_caller(stream)
            if caller is None or caller.service not in callers:
                raise GRPCError(
                    Status.PERMISSION_DENIED,
                    f"only {', '.join(sorted(callers))} may call this service",
                )
            await method(stream)

        return handle

    return each_method(servable, admitting)
