"""Traces in the apps (issue 14), with the OpenTelemetry SDK, when OTEL_EXPORTER_OTLP_ENDPOINT
is set (the SDK's own variable: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT and OTEL_BSP_* apply too).
Unset, nothing is loaded, wrapped or injected: tracing costs nothing.

An app never starts a trace: the edge does, and every hop follows the sampled flag of the
W3C `traceparent` it is given (ParentBased(ALWAYS_OFF)). An app continues the trace:

- a SERVER span per sampled REST request (`traced_app`) and gRPC call (`traced_calls`); an
  unsampled one (99 % of them at 1 %) gets no span object at all, its traceparent only kept
  to go out with its calls (the SDK's ASGI middleware made one anyway: +280 µs of CPU a
  request at 1 % sampling, measured by bench/observability_cost.py);
- the context goes out with every call it makes to a peer through its sidecar (HTTP:
  services/common/http_transport.py; gRPC: `injecting_trace_context`), so the egress Envoy,
  the peer's sidecar and the peer join the same trace;
- an outbox message keeps the `traceparent` of the request that queued it
  (`current_traceparent`), and its delivery runs in a span of that trace
  (`delivery_span`), so an asynchronous delivery joins the request's trace."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, MutableMapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from services.common.json_logs import trace_id_of

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

    from services.common.grpc_servables import Servable

ENDPOINT_VARIABLE = "OTEL_EXPORTER_OTLP_ENDPOINT"
TRACEPARENT = "traceparent"
EXPORT_DELAY_MS = 1000  # spans leave within a second (the SDK's default: 5 s)
MAX_LINKS = 32  # a batch delivery links the other messages' traces, at most this many
# Probes and scrapes: no trace would ever sample them.
NOT_TRACED_PATHS = frozenset({"/healthz", "/livez", "/metrics"})
# The traceparent of the request (or delivery) being served when it is not sampled: it goes on
# as it came, with no span made for it.
_UNSAMPLED: ContextVar[str | None] = ContextVar("unsampled_traceparent", default=None)


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


def sampled(traceparent: str | None) -> bool:
    """A W3C traceparent whose flags say sampled (version 00: the last byte's low bit)."""
    return traceparent is not None and len(traceparent) == 55 and traceparent[-1] in "13579bdf"


def traceparent_of(value: object) -> str | None:
    """What a caller sent as `traceparent`, when it is one (version 00's 55 characters, a trace
    id not all zeros): only such a value goes on with the calls an app makes and into an
    outbox message (55 characters in the database); anything else counts as none."""
    if isinstance(value, str):
        value = value.encode("latin-1", "replace")
    if not isinstance(value, bytes) or trace_id_of(value) is None or not value.startswith(b"00-"):
        return None
    return value.decode("ascii")


def _header(scope: Any, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


class TracedRequests:
    """ASGI middleware: a SERVER span per request whose `traceparent` is sampled, named by the
    contract's operationId once routing found it. An unsampled request gets no span at all
    (most of them, at 1 %): its traceparent is only kept, to go out with the calls it makes
    (`inject_trace_context`), so the hops after it follow the same decision."""

    def __init__(self, app: Any) -> None:
        from opentelemetry import trace

        self.app = app
        self._tracer = trace.get_tracer(__name__)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] in NOT_TRACED_PATHS:
            await self.app(scope, receive, send)
            return
        traceparent = traceparent_of(_header(scope, b"traceparent"))
        if not sampled(traceparent):
            token = _UNSAMPLED.set(traceparent)
            try:
                await self.app(scope, receive, send)
            finally:
                _UNSAMPLED.reset(token)
            return
        await self._traced(scope, receive, send, traceparent)

    async def _traced(self, scope: Any, receive: Any, send: Any, traceparent: str | None) -> None:
        from opentelemetry import propagate, trace

        parent = propagate.extract({TRACEPARENT: traceparent or ""})
        attributes = {"http.request.method": scope["method"], "url.path": scope["path"][:256]}
        with self._tracer.start_as_current_span(
            f"{scope['method']} {scope['path'][:64]}",
            context=parent,
            kind=trace.SpanKind.SERVER,
            attributes=attributes,
        ) as span:

            async def send_noting_status(message: Any) -> None:
                if message["type"] == "http.response.start":
                    span.set_attribute("http.response.status_code", message["status"])
                    if message["status"] >= 500:
                        span.set_status(trace.StatusCode.ERROR)
                await send(message)

            extensions = scope.setdefault("extensions", {})
            try:
                await self.app(scope, receive, send_noting_status)
            finally:
                operation = extensions.get("connexion_routing", {}).get("operation_id")
                if operation:
                    span.update_name(f"{scope['method']} {operation}")


def traced_app(app: Any) -> Any:
    """`app` with a SERVER span per sampled request, continuing the request's trace."""
    return TracedRequests(app) if tracing_on() else app


def inject_trace_context(carrier: MutableMapping[str, Any]) -> None:
    """Put the current trace context (`traceparent`) into outgoing headers or metadata: the
    current span's, or the unsampled request's as it came. Work outside any request (a
    background fetch) goes as a trace of its own, not sampled: the sidecar then follows that,
    instead of starting a trace itself (mesh/envoy/tracing.py)."""
    if not tracing_on():
        return
    from opentelemetry import propagate

    propagate.inject(carrier)
    if TRACEPARENT not in carrier:
        carrier[TRACEPARENT] = (
            _UNSAMPLED.get() or f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-00"
        )


def current_traceparent() -> str | None:
    """The current context's `traceparent`, to store with what continues it later."""
    if not tracing_on():
        return None
    carrier: dict[str, str] = {}
    inject_trace_context(carrier)
    return carrier.get(TRACEPARENT)


def delivery_span(name: str, traceparents: Sequence[str | None]) -> AbstractContextManager[Any]:
    """A span around delivering messages queued under `traceparents`: a child of the first
    sampled one's trace, linked to the other sampled ones' (a batch may carry several
    requests' messages). None sampled: no span; the calls carry the first one, unsampled."""
    known = [tp for tp in traceparents if tp]
    if not tracing_on() or not known:
        return nullcontext()
    chosen = [tp for tp in known if sampled(tp)]
    if not chosen:
        return _carrying_unsampled(known[0])
    from opentelemetry import propagate, trace

    contexts = [propagate.extract({TRACEPARENT: tp}) for tp in chosen[: MAX_LINKS + 1]]
    links = [trace.Link(trace.get_current_span(c).get_span_context()) for c in contexts[1:]]
    tracer = trace.get_tracer(__name__)
    return tracer.start_as_current_span(
        name, context=contexts[0], kind=trace.SpanKind.PRODUCER, links=links
    )


@contextmanager
def _carrying_unsampled(traceparent: str | None) -> Iterator[None]:
    token = _UNSAMPLED.set(traceparent)
    try:
        yield
    finally:
        _UNSAMPLED.reset(token)


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
            traceparent = traceparent_of((stream.metadata or {}).get(TRACEPARENT))
            if not sampled(traceparent):
                with _carrying_unsampled(traceparent):
                    await method(stream)
                return
            parent = propagate.extract({TRACEPARENT: traceparent})
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
