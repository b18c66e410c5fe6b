"""Which workloads may call a gRPC service, checked by the app on the caller its sidecar
verified (mTLS; the sidecar sets `x-forwarded-client-cert` and drops any copy a caller sent).
The sidecar's RBAC has admitted only those callers already: this is the second check."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from grpclib import GRPCError, Status
from grpclib.server import Stream

from services.common.grpc_messages import Servable, servable_of
from services.common.workload_identity import XFCC_HEADER, caller_from_xfcc


def admitting_only(servable: Any, callers: frozenset[str]) -> Servable:
    """`servable` (a grpclib handler) whose methods answer PERMISSION_DENIED to any caller but
    the workloads named in `callers` (service names; the edge is `edge`)."""
    return servable_of(
        {
            path: handler._replace(func=_admitting(handler.func, callers))
            for path, handler in servable.__mapping__().items()
        }
    )


def _admitting(
    method: Callable[[Stream[Any, Any]], Coroutine[Any, Any, None]], callers: frozenset[str]
) -> Callable[[Stream[Any, Any]], Coroutine[Any, Any, None]]:
    async def handle(stream: Stream[Any, Any]) -> None:
        header = (stream.metadata or {}).get(XFCC_HEADER)
        caller = caller_from_xfcc(header if isinstance(header, str) else None)
        if caller is None or caller.service not in callers:
            raise GRPCError(
                Status.PERMISSION_DENIED,
                f"only {', '.join(sorted(callers))} may call this service",
            )
        await method(stream)

    return handle
