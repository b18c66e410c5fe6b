"""A local trace store: what `make run` exports spans to when no collector of the user's is
given (`python -m mesh.launcher --traces`), and what `mesh.ctl trace <trace-id>` reads.

It takes OTLP over HTTP (POST /v1/traces, protobuf, as Envoy's tracer and the apps' SDK send
it; a length or chunked body) and keeps the last MAX_SPANS spans in memory, the oldest traces
dropped first, each span's name and attributes cut short (so what it holds stays bounded).
`GET /api/traces/<trace-id>` answers one trace's spans as JSON (404 when it is not kept),
`GET /api/traces` the ids of the latest traces. On loopback only, for one machine's
development: bounded in what it takes (a body of at most MAX_BODY_BYTES, spans), and it echoes
nothing a caller sent but the spans it was given."""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from mesh.topology import HOST

DEFAULT_PORT = 4318  # OTLP/HTTP's own
MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_SPANS = 50_000
MAX_VALUE_CHARACTERS = 256  # an attribute's string value, kept
MAX_ATTRIBUTES = 64  # kept per span
LATEST_TRACES = 50
KINDS = {1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}
TRACE_ID = re.compile(r"[0-9a-f]{32}")
REQUEST_TIMEOUT_SECONDS = 10.0  # a client has this long to send its request


@dataclass(frozen=True)
class StoredSpan:
    trace_id: str
    span_id: str
    parent_id: str  # "" for a root
    name: str
    kind: str
    service: str  # the exporter's resource `service.name`
    start_ns: int
    end_ns: int
    attributes: dict[str, Any]

    @property
    def hop(self) -> str | None:
        """An Envoy's span: which listener (mesh/envoy/tracing.py); None: an app's."""
        return self.attributes.get("capsure.hop")

    @property
    def milliseconds(self) -> float:
        return max(self.end_ns - self.start_ns, 0) / 1e6


def _value(any_value: Any) -> Any:
    """A scalar attribute's value, a string cut at MAX_VALUE_CHARACTERS (what is kept per
    span stays small, whatever an exporter sends); arrays and maps are not kept."""
    kind = any_value.WhichOneof("value")
    if kind == "string_value":
        return str(any_value.string_value)[:MAX_VALUE_CHARACTERS]
    return getattr(any_value, kind) if kind in ("int_value", "bool_value", "double_value") else None


def decode(body: bytes) -> list[StoredSpan]:
    """The spans of one OTLP export request (a ValueError when it is not one)."""
    try:
        request = ExportTraceServiceRequest.FromString(body)
    except Exception as error:  # protobuf's DecodeError, whatever its module
        raise ValueError("not an OTLP trace export") from error
    spans = []
    for resource_spans in request.resource_spans:
        resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(
                    StoredSpan(
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_id=span.parent_span_id.hex(),
                        name=span.name[:200],
                        kind=KINDS.get(span.kind, str(span.kind)),
                        service=str(resource.get("service.name", ""))[:64],
                        start_ns=span.start_time_unix_nano,
                        end_ns=span.end_time_unix_nano,
                        attributes={
                            a.key[:64]: _value(a.value) for a in span.attributes[:MAX_ATTRIBUTES]
                        },
                    )
                )
    return spans


class TraceStore:
    """The last `max_spans` spans, by trace; thread-safe."""

    def __init__(self, max_spans: int = MAX_SPANS) -> None:
        self._max = max_spans
        self._traces: OrderedDict[str, list[StoredSpan]] = OrderedDict()
        self._count = 0
        self._lock = threading.Lock()
        self.port = 0  # once serving

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    def add(self, spans: list[StoredSpan]) -> None:
        with self._lock:
            for span in spans:
                self._traces.setdefault(span.trace_id, []).append(span)
                self._traces.move_to_end(span.trace_id)
                self._count += 1
            while self._count > self._max and self._traces:
                _, dropped = self._traces.popitem(last=False)
                self._count -= len(dropped)

    def spans(self) -> list[StoredSpan]:
        with self._lock:
            return [span for spans in self._traces.values() for span in spans]

    def trace(self, trace_id: str) -> list[StoredSpan]:
        with self._lock:
            return list(self._traces.get(trace_id, ()))

    def latest(self, count: int = LATEST_TRACES) -> list[str]:
        with self._lock:
            return list(self._traces)[-count:][::-1]


def span_tree(spans: list[StoredSpan]) -> list[str]:
    """One line per span, indented under its parent, children by start time; spans whose parent
    is not in the trace (not exported, or not yet) start a tree of their own."""
    by_parent: dict[str, list[StoredSpan]] = {}
    ids = {span.span_id for span in spans}
    for span in sorted(spans, key=lambda s: s.start_ns):
        parent = span.parent_id if span.parent_id in ids else ""
        by_parent.setdefault(parent, []).append(span)
    lines: list[str] = []

    def walk(parent: str, depth: int) -> None:
        for span in by_parent.get(parent, []):
            where = f"{span.service} {span.hop}" if span.hop else span.service
            lines.append(
                f"{'  ' * depth}{where}: {span.name} ({span.kind}, {span.milliseconds:.2f} ms)"
            )
            walk(span.span_id, depth + 1)

    walk("", 0)
    return lines


def _handler(store: TraceStore) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = REQUEST_TIMEOUT_SECONDS

        def do_POST(self) -> None:
            body = self._body() if self.path == "/v1/traces" else None
            try:
                spans = decode(body) if body is not None else None
            except ValueError:
                spans = None
            if spans is None:
                self._answer(400, b"", "text/plain")
                return
            store.add(spans)
            self._answer(
                200, ExportTraceServiceResponse().SerializeToString(), "application/x-protobuf"
            )

        def do_GET(self) -> None:
            if self.path == "/api/traces":
                self._json(200, {"traces": store.latest()})
                return
            trace_id = self.path.removeprefix("/api/traces/")
            spans = store.trace(trace_id) if TRACE_ID.fullmatch(trace_id) else []
            if not spans:
                self._json(404, {"error": "no such trace kept"})
                return
            self._json(200, {"spans": [asdict(span) for span in spans]})

        def _json(self, status: int, document: dict[str, Any]) -> None:
            self._answer(status, json.dumps(document).encode(), "application/json")

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> bytes | None:
            """By Content-Length (the SDK's exporter) or chunked (Envoy's tracer); None past
            MAX_BODY_BYTES or malformed."""
            try:
                if self.headers.get("transfer-encoding", "").lower() != "chunked":
                    length = int(self.headers.get("content-length", 0))
                    return self.rfile.read(length) if 0 <= length <= MAX_BODY_BYTES else None
                body = b""
                while size := int(self.rfile.readline(64).split(b";")[0], 16):
                    if len(body) + size > MAX_BODY_BYTES:
                        return None
                    body += self.rfile.read(size)
                    self.rfile.readline(64)  # the CRLF after each chunk
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return body
            except ValueError:
                return None

        def log_message(self, *_: Any) -> None:
            pass

    return Handler


@contextmanager
def running_trace_store(port: int = 0, max_spans: int = MAX_SPANS) -> Iterator[TraceStore]:
    """The store, served from a thread on loopback `port` (0: a free one) for the block."""
    store = TraceStore(max_spans)
    server = ThreadingHTTPServer((HOST, port), _handler(store))
    server.daemon_threads = True
    store.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="trace-store", daemon=True)
    thread.start()
    try:
        yield store
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
