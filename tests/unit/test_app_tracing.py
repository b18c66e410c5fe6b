"""The apps' side of tracing (services/common/tracing.py), on the SDK with an in-memory
exporter: off by default, a trace's context goes out with every call, work outside a trace
goes out unsampled, and an outbox delivery joins the trace of the request that queued it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import httpx
import pytest
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased

from services.common import tracing
from services.common.outbox import InMemoryOutboxStore, OutboxMessage, OutboxRelay, Topic
from tests.support.asgi import asgi_client
from tests.unit.nft_fakes import InMemoryUserDirectory, nft_app

pytestmark = pytest.mark.unit

SAMPLED = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
EXPORTER = InMemorySpanExporter()
PROVIDER = TracerProvider(sampler=ParentBased(root=ALWAYS_OFF))
PROVIDER.add_span_processor(SimpleSpanProcessor(EXPORTER))


@pytest.fixture
def traced() -> Iterator[InMemorySpanExporter]:
    """Tracing on, as configure_tracing turns it on, exporting to memory."""
    trace.set_tracer_provider(PROVIDER)  # once per process; later calls change nothing
    EXPORTER.clear()
    tracing._TRACING.provider = PROVIDER
    try:
        yield EXPORTER
    finally:
        tracing._TRACING.provider = None


def test_without_an_endpoint_nothing_is_traced_or_sent(monkeypatch) -> None:
    monkeypatch.delenv(tracing.ENDPOINT_VARIABLE, raising=False)
    tracing.configure_tracing("nft", "nft-1")
    assert not tracing.tracing_on()
    app = object()
    assert tracing.traced_app(app) is app
    headers: dict[str, str] = {}
    tracing.inject_trace_context(headers)
    assert headers == {} and tracing.current_traceparent() is None


def test_a_call_carries_the_current_trace_and_work_outside_one_goes_unsampled(traced) -> None:
    tracer = trace.get_tracer(__name__)
    with tracer.start_as_current_span(
        "request", context=propagate.extract({"traceparent": SAMPLED})
    ):
        request = httpx.Request("GET", "http://nft/api/nfts")
        tracing.inject_trace_context(request.headers)
        version, trace_id, _, flags = request.headers["traceparent"].split("-")
        assert (version, trace_id, flags) == ("00", SAMPLED.split("-")[1], "01")
    background: dict[str, str] = {}
    tracing.inject_trace_context(background)  # no trace: a fresh one, not sampled
    _, trace_id, span_id, flags = background["traceparent"].split("-")
    assert flags == "00" and trace_id != SAMPLED.split("-")[1]
    assert len(trace_id) == 32 and len(span_id) == 16


async def test_an_outbox_delivery_joins_the_trace_of_the_request_that_queued_it(
    traced, clock
) -> None:
    store = InMemoryOutboxStore(clock)
    seen: list[str | None] = []

    async def deliver(batch: Sequence[OutboxMessage]) -> dict[int, str]:
        seen.append(tracing.current_traceparent())  # what the call to the consumer carries
        return {}

    tracer = trace.get_tracer(__name__)
    parent = propagate.extract({"traceparent": SAMPLED})
    with tracer.start_as_current_span("POST /market-data", context=parent) as request:
        await store.add("analytics.ticks", {"id": "t1"})
    await store.add("analytics.ticks", {"id": "untraced"})  # queued outside any trace
    relay = OutboxRelay(store, [Topic("analytics.ticks", deliver)], clock)
    assert await relay.run_once() == 2

    spans = {span.name: span for span in traced.get_finished_spans()}
    delivery = spans["outbox analytics.ticks"]
    assert delivery.parent.span_id == request.get_span_context().span_id
    assert delivery.context.trace_id == request.get_span_context().trace_id
    assert [seen_trace.split("-")[1] for seen_trace in seen if seen_trace] == [
        f"{delivery.context.trace_id:032x}"
    ]


async def test_a_sampled_request_is_a_span_named_by_its_operation_an_unsampled_one_none(
    traced,
) -> None:
    app = tracing.traced_app(nft_app(InMemoryUserDirectory()))
    unsampled = SAMPLED[:-2] + "00"
    async with asgi_client(app) as client:
        for traceparent in (SAMPLED, unsampled):
            answer = await client.get(
                "/api/nfts/user/0af76519-16cd-43dd-8448-eb211c80319c",
                headers={"traceparent": traceparent},
            )
            assert answer.status_code == 200
        assert (await client.get("/healthz", headers={"traceparent": SAMPLED})).status_code
    [span] = traced.get_finished_spans()
    assert span.name == "GET list_user_nfts"
    assert f"{span.context.trace_id:032x}" == SAMPLED.split("-")[1]
    assert span.attributes["http.response.status_code"] == 200


async def carried_by_calls_of(traceparent: bytes) -> str | None:
    """The traceparent the calls of a request that came with `traceparent` carry."""
    seen: list[str | None] = []

    async def app(scope, receive, send) -> None:
        seen.append(tracing.current_traceparent())
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> dict:
        return {"type": "http.request", "body": b""}

    async def send(message: dict) -> None:
        pass

    headers = [(b"traceparent", traceparent)]
    await tracing.traced_app(app)(
        {"type": "http", "method": "GET", "path": "/x", "headers": headers}, receive, send
    )
    [carried] = seen
    return carried


async def test_an_unsampled_requests_calls_carry_its_traceparent_as_it_came(traced) -> None:
    unsampled = SAMPLED[:-2] + "00"
    assert await carried_by_calls_of(unsampled.encode()) == unsampled
    assert traced.get_finished_spans() == ()


@pytest.mark.parametrize(
    "sent",
    [
        b"00-" + b"a" * 5000,  # long: would not fit the outbox's column (PostgreSQL refuses it)
        b"ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  # a version not known
        b"00-00000000000000000000000000000000-b7ad6b7169203331-01",  # the invalid trace id
        b"00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01",  # not lower-case hex
        b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\nx-evil: 1",
    ],
    ids=["long", "version", "zero-trace", "upper-case", "header-split"],
)
async def test_a_traceparent_that_is_none_goes_nowhere(traced, sent: bytes) -> None:
    """A caller's malformed traceparent is neither passed on nor stored: the request's calls
    go as a fresh trace of their own, not sampled."""
    carried = await carried_by_calls_of(sent)
    assert carried is not None and carried.encode() != sent
    assert tracing.traceparent_of(carried) == carried and carried.endswith("-00")
    assert traced.get_finished_spans() == ()
