"""Traces in the apps (issue 14), with the OpenTelemetry SDK, when OTEL_EXPORTER_OTLP_ENDPOINT
is set (the SDK's own variable: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT and OTEL_BSP_* apply too).
Unset, nothing is loaded, wrapped or injected: tracing costs nothing.

An app never starts a trace: the edge does, and every hop follows the sampled flag of the
W3C `traceparent` it is given (ParentBased(ALWAYS_OFF)). An app continues the trace:

- a SERVER span per REST request (`traced_app`) and per gRPC call (`traced_calls`);
- the context goes out with every call it makes to a peer through its sidecar (HTTP:
  services/common/http_transport.py; gRPC: `injecting_trace_context`), so the egress Envoy,
  the peer's sidecar and the peer join the same trace;
- an outbox message keeps the `traceparent` of the request that queued it
  (`current_traceparent`), and its delivery runs in a span of that trace
  (`delivery_span`), so an asynchronous delivery joins the request's trace."""

from __future__ import annotations

import os
import secrets
from collections.abc import MutableMapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

    from services.common.grpc_servables import Servable

ENDPOINT_VARIABLE = "OTEL_EXPORTER_OTLP_ENDPOINT"
TRACEPARENT = "traceparent"
EXPORT_DELAY_MS = 1000  # spans leave within a second (the SDK's default: 5 s)
MAX_LINKS = 32  # a batch delivery links the other messages' traces, at most this many
NOT_TRACED_PATHS = "/healthz,/metrics"  # probes and scrapes: no trace would ever sample them


class _Tracing:
    provider: TracerProvider | None = None


_TRACING = _Tracing()


def tracing_on() -> bool:
    return _TRACING.provider is not None


def configure_tracing(service: str, instance_id: str) -> None:
    """The process's tracer provider, exporting OTLP over HTTP, when an endpoint is set; call
    once, in the process that serves (after a fork: the exporter runs a thread)."""
    if not os.environ.get(ENDPOINT_VARIABLE):
        return
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased

    resource = Resource.create({"service.name": service, "service.instance.id": instance_id})
    provider = TracerProvider(resource=resource, sampler=ParentBased(root=ALWAYS_OFF))
    delay = int(os.environ.get("OTEL_BSP_SCHEDULE_DELAY", EXPORT_DELAY_MS))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(), schedule_delay_millis=delay))
    trace.set_tracer_provider(provider)
    _TRACING.provider = provider


def shutdown_tracing() -> None:
    """Export what is left (on the way out)."""
    if _TRACING.provider is not None:
        _TRACING.provider.shutdown()


def traced_app(app: Any) -> Any:
    """`app` with a SERVER span per request, continuing the request's trace."""
    if not tracing_on():
        return app
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    # No spans of their own for each ASGI message sent and received: one span per request.
    return OpenTelemetryMiddleware(
        app, excluded_urls=NOT_TRACED_PATHS, exclude_spans=["receive", "send"]
    )


def inject_trace_context(carrier: MutableMapping[str, Any]) -> None:
    """Put the current trace context (`traceparent`) into outgoing headers or metadata. Work
    outside any trace (a background fetch) goes as a trace of its own, not sampled: the sidecar
    then follows that, instead of starting a trace itself (mesh/envoy/tracing.py)."""
    if not tracing_on():
        return
    from opentelemetry import propagate

    propagate.inject(carrier)
    if TRACEPARENT not in carrier:
        carrier[TRACEPARENT] = f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-00"


def current_traceparent() -> str | None:
    """The current context's `traceparent`, to store with what continues it later."""
    if not tracing_on():
        return None
    carrier: dict[str, str] = {}
    inject_trace_context(carrier)
    return carrier.get(TRACEPARENT)


def delivery_span(name: str, traceparents: Sequence[str | None]) -> AbstractContextManager[Any]:
    """A span around delivering messages queued under `traceparents`: a child of the first
    one's trace, linked to the others' (a batch may carry several requests' messages)."""
    known = [tp for tp in traceparents if tp]
    if not tracing_on() or not known:
        return nullcontext()
    from opentelemetry import propagate, trace

    contexts = [propagate.extract({TRACEPARENT: tp}) for tp in known[: MAX_LINKS + 1]]
    links = [trace.Link(trace.get_current_span(c).get_span_context()) for c in contexts[1:]]
    tracer = trace.get_tracer(__name__)
    return tracer.start_as_current_span(
        name, context=contexts[0], kind=trace.SpanKind.PRODUCER, links=links
    )


def injecting_trace_context(channel: Any) -> Any:
    """A grpclib Channel whose calls carry the current trace context in their metadata."""
    if not tracing_on():
        return channel
    from grpclib.events import SendRequest, listen

    async def inject(event: SendRequest) -> None:
        inject_trace_context(event.metadata)

    listen(channel, SendRequest, inject)
    return channel


def traced_calls(servable: Any) -> Servable | Any:
    """`servable` (a grpclib service) with a SERVER span per call, continuing the trace of the
    call's metadata."""
    if not tracing_on():
        return servable
    from grpclib.const import Status
    from grpclib.exceptions import GRPCError
    from opentelemetry import propagate, trace

    from services.common.grpc_servables import Method, each_method_by_path

    tracer = trace.get_tracer(__name__)

    def wrap(path: str, method: Method) -> Method:
        async def handle(stream: Any) -> None:
            parent = propagate.extract(dict(stream.metadata or {}))
            with tracer.start_as_current_span(
                path, context=parent, kind=trace.SpanKind.SERVER
            ) as span:
                span.set_attribute("rpc.system", "grpc")
                try:
                    await method(stream)
                except GRPCError as error:
                    span.set_attribute("rpc.grpc.status_code", error.status.value)
                    raise
                span.set_attribute("rpc.grpc.status_code", Status.OK.value)

        return handle

    return each_method_by_path(servable, wrap)
