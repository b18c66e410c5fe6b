"""gRPC methods log with their call's ids, as REST handlers do (json_logs.RequestLogContext):
the x-request-id and traceparent of the call's metadata (Envoy forwards both on gRPC too)."""

from __future__ import annotations

from typing import Any

from grpclib.server import Stream

from services.common.grpc_servables import Method, Servable, each_method
from services.common.json_logs import ids_of, logging_for


def logging_call_ids(servable: Any) -> Servable:
    """`servable` with each method run inside its call's log context."""

    def wrap(method: Method) -> Method:
        async def handle(stream: Stream[Any, Any]) -> None:
            with logging_for(*ids_of(_headers(stream))):
                await method(stream)

        return handle

    return each_method(servable, wrap)


def _headers(stream: Stream[Any, Any]) -> list[tuple[bytes, bytes]]:
    """The call's text metadata as header pairs (binary `-bin` values are never ids)."""
    pairs = []
    for name, value in (stream.metadata or {}).items():
        if isinstance(value, str) and name in ("x-request-id", "traceparent"):
            pairs.append((name.encode(), value.encode("utf-8", "replace")))
    return pairs
