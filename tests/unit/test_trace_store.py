"""The local trace store (mesh/trace_store.py) over its HTTP API: OTLP exports in (length and
chunked bodies), one trace's spans out, bounded in what it keeps and takes, and a trace printed
as a tree."""

from __future__ import annotations

import http.client

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from mesh.trace_store import MAX_BODY_BYTES, StoredSpan, running_trace_store, span_tree

pytestmark = pytest.mark.unit

TRACE = bytes.fromhex("0af7651916cd43dd8448eb211c80319c")


def export(service: str, *spans: tuple[str, str, str, int]) -> bytes:
    """An OTLP export of `service`'s spans: (span id, parent id, name, start ns)."""
    resource = Resource(
        attributes=[KeyValue(key="service.name", value=AnyValue(string_value=service))]
    )
    made = [
        Span(
            trace_id=TRACE,
            span_id=bytes.fromhex(span_id),
            parent_span_id=bytes.fromhex(parent),
            name=name,
            kind=Span.SPAN_KIND_SERVER,
            start_time_unix_nano=start,
            end_time_unix_nano=start + 2_000_000,
        )
        for span_id, parent, name, start in spans
    ]
    request = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=resource, scope_spans=[ScopeSpans(spans=made)])]
    )
    return request.SerializeToString()


def post_chunked(port: int, body: bytes) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.putrequest("POST", "/v1/traces")
    connection.putheader("transfer-encoding", "chunked")
    connection.endheaders()
    half = len(body) // 2
    for chunk in (body[:half], body[half:]):
        connection.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
    connection.send(b"0\r\n\r\n")
    status = connection.getresponse().status
    connection.close()
    return status


def test_exports_in_one_trace_out_as_a_tree() -> None:
    with running_trace_store() as store:
        edge = export("edge", ("a" * 16, "", "ingress", 1_000))
        app = export("nft", ("b" * 16, "a" * 16, "GET list_user_nfts", 2_000))
        with httpx.Client(base_url=store.endpoint, trust_env=False, timeout=5) as client:
            assert client.post("/v1/traces", content=edge).status_code == 200
            assert post_chunked(store.port, app) == 200  # as Envoy's tracer sends
            answer = client.get(f"/api/traces/{TRACE.hex()}")
            assert answer.status_code == 200
            spans = [StoredSpan(**span) for span in answer.json()["spans"]]
            assert client.get("/api/traces").json() == {"traces": [TRACE.hex()]}
            assert client.get(f"/api/traces/{'0' * 32}").status_code == 404
            assert client.get("/api/traces/../../etc/passwd").status_code == 404
    assert span_tree(spans) == [
        "edge: ingress (SERVER, 2.00 ms)",
        "  nft: GET list_user_nfts (SERVER, 2.00 ms)",
    ]


@pytest.mark.parametrize(
    "body", [b"\xff\xfe not protobuf", b"x" * (MAX_BODY_BYTES + 1)], ids=["garbage", "too-large"]
)
def test_what_is_no_export_or_too_large_is_refused_and_nothing_kept(body: bytes) -> None:
    with running_trace_store() as store:
        answer = httpx.post(f"{store.endpoint}/v1/traces", content=body, trust_env=False)
        assert answer.status_code == 400
        assert store.spans() == []


def test_the_oldest_traces_go_first_past_the_bound() -> None:
    with running_trace_store(max_spans=2) as store:
        for number in range(3):
            trace = f"{number:032x}"
            store.add([StoredSpan(trace, f"{number:016x}", "", "s", "SERVER", "x", 0, 1, {})])
        assert store.latest() == [f"{2:032x}", f"{1:032x}"]
        assert store.trace(f"{0:032x}") == []


def test_what_a_span_carries_is_kept_cut_short() -> None:
    """An exporter's huge names and attributes do not make the store hold them."""
    big = "x" * 10_000  # 100 of them: 2 MB, within a body's bound
    attributes = [KeyValue(key=f"k{n}{big}", value=AnyValue(string_value=big)) for n in range(100)]
    span = Span(
        trace_id=TRACE, span_id=b"\x01" * 8, name=big, attributes=attributes,
        start_time_unix_nano=1, end_time_unix_nano=2,
    )  # fmt: skip
    request = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=[span])])]
    )
    with running_trace_store() as store:
        answer = httpx.post(
            f"{store.endpoint}/v1/traces", content=request.SerializeToString(), trust_env=False
        )
        assert answer.status_code == 200
        [kept] = store.trace(TRACE.hex())
    assert len(kept.name) == 200 and len(kept.attributes) == 64
    assert all(len(key) <= 64 and len(value) == 256 for key, value in kept.attributes.items())
