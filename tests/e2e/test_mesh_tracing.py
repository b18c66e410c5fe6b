"""One trace across every hop (issue 14), as an OTLP receiver is given it by the Envoys' tracer
and the apps' SDK: the edge starts it, each sidecar's inbound and egress and each app continue
it with the right parent, and an outbox delivery joins the trace of the request that queued it.
A client's own trace context is dropped at the edge."""

from __future__ import annotations

import itertools
import subprocess
import sys
import uuid
from collections.abc import Iterator

import httpx
import pytest

from mesh.envoy.tracing import TraceExport
from mesh.runner import Mesh
from mesh.trace_store import StoredSpan, TraceStore, running_trace_store
from tests.support.mesh import poll_for, running_mesh
from tests.support.tokens import bearer

pytestmark = pytest.mark.e2e

EXPORTED_WITHIN_SECONDS = 20.0  # Envoys flush every second, apps' SDKs every second


@pytest.fixture(scope="module")
def receiver() -> Iterator[TraceStore]:
    with running_trace_store() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def traced_mesh(tmp_path_factory: pytest.TempPathFactory, receiver: TraceStore) -> Iterator[Mesh]:
    services = ("user", "nft", "notification", "trading", "analytics")
    export = TraceExport.from_endpoint(receiver.endpoint)
    with running_mesh(
        tmp_path_factory.mktemp("traced-mesh"),
        instances=dict.fromkeys(services, 1),
        trace_export=export,
    ) as mesh:
        yield mesh


def marked() -> dict[str, str]:
    """A User-Agent no other request has: the edge's span records it."""
    return {"user-agent": f"trace-test/{uuid.uuid4().hex}"}


def edge_span_of(receiver: TraceStore, client: dict[str, str]) -> StoredSpan | None:
    for span in receiver.spans():
        if span.hop == "edge" and span.attributes.get("user_agent") == client["user-agent"]:
            return span
    return None


def one(spans: list[StoredSpan], description: str, **wanted: object) -> StoredSpan:
    found = [s for s in spans if all(getattr(s, k) == v for k, v in wanted.items())]
    assert len(found) == 1, (description, found, spans)
    return found[0]


def test_one_request_is_one_trace_from_the_edge_through_user_to_nft(
    traced_mesh: Mesh, receiver: TraceStore
) -> None:
    client = marked()
    answer = httpx.get(
        f"{traced_mesh.edge_url}/api/users/me/nfts",
        headers={**bearer(uuid.uuid4()), **client},
        trust_env=False,
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    edge = poll_for(lambda: edge_span_of(receiver, client), "the edge's span exported", 20)
    assert edge.parent_id == "" and edge.service == "edge"

    def whole() -> list[StoredSpan] | None:
        spans = receiver.trace(edge.trace_id)
        return spans if len(spans) >= 6 else None

    spans = poll_for(whole, "six spans of the trace exported", EXPORTED_WITHIN_SECONDS)
    user_inbound = one(spans, "user's sidecar", service="user", hop="inbound")
    user_app = one(spans, "user's app", service="user", hop=None)
    user_egress = one(spans, "user's egress to nft", service="user", hop="egress_nft")
    nft_inbound = one(spans, "nft's sidecar", service="nft", hop="inbound")
    nft_app = one(spans, "nft's app", service="nft", hop=None)
    # Each hop the child of the one before.
    chain = [edge, user_inbound, user_app, user_egress, nft_inbound, nft_app]
    for parent, child in itertools.pairwise(chain):
        assert child.parent_id == parent.span_id, (parent, child)
    assert (user_inbound.kind, user_app.kind, nft_app.kind) == ("SERVER", "SERVER", "SERVER")
    assert user_egress.kind == "CLIENT"

    # `mesh.ctl trace` prints the same chain as a tree, each hop one level deeper.
    printed = subprocess.run(
        [sys.executable, "-m", "mesh.ctl", "trace", edge.trace_id, "--store", receiver.endpoint],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    wanted = ["edge edge:", "user inbound:", "user:", "user egress_nft:", "nft inbound:", "nft:"]
    for depth, start in enumerate(wanted):
        assert any(line.startswith("  " * depth + start) for line in lines), printed.stdout


def test_a_ticks_delivery_to_analytics_is_in_the_trace_of_the_post_that_queued_it(
    traced_mesh: Mesh, receiver: TraceStore
) -> None:
    symbol, client = f"T{uuid.uuid4().hex[:8].upper()}", marked()
    posted = httpx.post(
        f"{traced_mesh.edge_url}/api/trading/market-data",
        json={"assetSymbol": symbol, "price": 1.5, "timestamp": 1_700_000_000_000},
        headers={**bearer(uuid.uuid4(), roles=["Developer"]), **client},
        trust_env=False,
        timeout=10,
    )
    assert posted.status_code == 201, posted.text
    edge = poll_for(lambda: edge_span_of(receiver, client), "the POST's edge span exported", 20)

    def ancestry() -> list[tuple[str, str | None, str]] | None:
        """analytics' gRPC span's parents, up to the trace's root: once every span of the chain
        is exported (each app's and Envoy's exporter sends on its own schedule)."""
        spans = receiver.trace(edge.trace_id)
        by_id = {s.span_id: s for s in spans}
        ingest = [s for s in spans if s.service == "analytics" and s.hop is None]
        if len(ingest) != 1:
            return None
        chain, span = [], ingest[0]
        while span.parent_id:
            parent = by_id.get(span.parent_id)
            if parent is None:
                return None  # a link of the chain not exported yet
            chain.append((parent.service, parent.hop, parent.name))
            span = parent
        return chain

    # Up its parents: analytics' sidecar, trading's egress to analytics, the outbox's delivery,
    # then the POST's own spans up to the edge.
    ancestors = poll_for(ancestry, "analytics' ingest in the POST's trace", EXPORTED_WITHIN_SECONDS)
    assert ancestors[:3] == [
        ("analytics", "inbound", ancestors[0][2]),
        ("trading", "egress_analytics", ancestors[1][2]),
        ("trading", None, "outbox analytics.ticks"),
    ], ancestors
    assert ancestors[-1][:2] == ("edge", "edge")


def test_a_clients_trace_context_is_dropped_at_the_edge(
    traced_mesh: Mesh, receiver: TraceStore
) -> None:
    forced, client = uuid.uuid4().hex, marked()  # a trace id of the client's choosing, sampled
    answer = httpx.get(
        f"{traced_mesh.edge_url}/api/nfts/user/{uuid.uuid4()}",
        headers={"traceparent": f"00-{forced}-{'1' * 16}-01", "tracestate": "x=1", **client},
        trust_env=False,
        timeout=10,
    )
    assert answer.status_code == 200
    edge = poll_for(lambda: edge_span_of(receiver, client), "the edge's span exported", 20)
    assert edge.trace_id != forced and edge.parent_id == ""
    assert receiver.trace(forced) == []
