"""services/common/metrics.py: an app counts every request by its contract operation, method
and status class, times it, and serves the figures at /metrics in Prometheus' text format;
nothing a client sends becomes a label. gRPC calls are counted by method and status."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from grpclib.const import Cardinality, Handler, Status
from grpclib.exceptions import GRPCError
from prometheus_client.parser import text_string_to_metric_families

from services.common import metrics as metrics_module
from services.common.metrics import AppMetrics, counting_calls
from tests.support.asgi import asgi_client
from tests.support.tokens import bearer
from tests.unit.nft_fakes import InMemoryUserDirectory, nft_app

pytestmark = pytest.mark.unit


def samples(exposition: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample as (name, labels) -> value."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


def requests_of(found: dict[Any, float], **labels: str) -> float:
    key = ("capsure_http_requests_total", frozenset({"service": "nft", **labels}.items()))
    return found.get(key, 0.0)


async def test_requests_are_counted_by_operation_method_and_status_class() -> None:
    async with asgi_client(nft_app(InMemoryUserDirectory())) as client:
        for path in (f"/api/nfts/user/{uuid.uuid4()}", f"/api/nfts/user/{uuid.uuid4()}"):
            assert (await client.get(path)).status_code == 200
        assert (await client.get("/api/nfts/user/not-a-uuid")).status_code == 400
        assert (await client.get("/api/nope")).status_code == 404
        answer = await client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    found = samples(answer.text)
    listed = {"operation": "list_user_nfts", "method": "GET"}
    assert requests_of(found, **listed, status_class="2xx") == 2
    assert requests_of(found, **listed, status_class="4xx") == 1  # routed, then refused
    assert requests_of(found, operation="other", method="GET", status_class="4xx") == 1
    latency = (
        "capsure_http_request_duration_seconds_count",
        frozenset({"service": "nft", **listed}.items()),
    )
    assert found[latency] == 3
    in_flight = ("capsure_http_requests_in_flight", frozenset({"service": "nft"}.items()))
    assert found[in_flight] == 1  # /metrics itself, while it answers


async def test_what_a_client_sends_never_becomes_a_label() -> None:
    async with asgi_client(nft_app(InMemoryUserDirectory())) as client:
        for n in range(40):
            await client.request("GET", f"/api/nfts/{uuid.uuid4()}/x{n}?q={n}")
            await client.request(f"M{n}X", f"/api/nfts/user/{uuid.uuid4()}")
            await client.request("GET", f"/{n}" * 50)
        found = samples((await client.get("/metrics")).text)
    label_sets = {labels for name, labels in found if name == "capsure_http_requests_total"}
    values = {value for labels in label_sets for _, value in labels}
    assert len(label_sets) <= 4, label_sets
    assert values <= {"nft", "other", "GET", "list_user_nfts", "4xx", "5xx", "2xx"}, values


class Calls:
    """Two gRPC methods: one answers, one refuses."""

    def __mapping__(self) -> dict[str, Handler]:
        async def answers(stream: Any) -> None:
            return None

        async def refuses(stream: Any) -> None:
            raise GRPCError(Status.INVALID_ARGUMENT, "no")

        return {
            "/m.S/Answers": Handler(answers, Cardinality.UNARY_UNARY, None, None),
            "/m.S/Refuses": Handler(refuses, Cardinality.UNARY_UNARY, None, None),
        }


async def test_grpc_calls_are_counted_by_method_and_status() -> None:
    metrics = AppMetrics("analytics")
    handlers = counting_calls(Calls(), metrics).__mapping__()
    await handlers["/m.S/Answers"].func(None)
    for _ in range(2):
        with pytest.raises(GRPCError):
            await handlers["/m.S/Refuses"].func(None)
    found = samples(metrics.exposition().decode())

    def calls(method: str, code: str) -> float:
        labels = {"service": "analytics", "method": method, "code": code}
        return found[("capsure_grpc_requests_total", frozenset(labels.items()))]

    assert calls("/m.S/Answers", "OK") == 1 and calls("/m.S/Refuses", "INVALID_ARGUMENT") == 2
    timed = ("capsure_grpc_request_duration_seconds_count", frozenset(
        {"service": "analytics", "method": "/m.S/Refuses"}.items()
    ))  # fmt: skip
    assert found[timed] == 2


async def test_replays_of_an_idempotency_key_are_counted() -> None:
    owner = uuid.uuid4()
    headers = {**bearer(owner), "Idempotency-Key": str(uuid.uuid4())}
    body = {"name": "x", "metadata": {"attributes": []}}
    async with asgi_client(nft_app(InMemoryUserDirectory(owner))) as client:
        for _ in range(3):
            assert (await client.post("/api/nfts", json=body, headers=headers)).status_code == 201
        reused = await client.post("/api/nfts", json={**body, "name": "y"}, headers=headers)
        assert reused.status_code == 422  # another request under the key: refused, no replay
        found = samples((await client.get("/metrics")).text)
    replays = ("capsure_idempotent_replays_total", frozenset(
        {"service": "nft", "operation": "mint_nft"}.items()
    ))  # fmt: skip
    assert found[replays] == 2


def test_analytics_counts_ticks_by_what_became_of_them() -> None:
    from services.analytics.adapters.ingest_metrics import TickIngestCounter

    metrics = AppMetrics("analytics")
    count = TickIngestCounter(metrics)
    count(5, 2, 0)
    count(0, 0, 3)
    found = samples(metrics.exposition().decode())

    def ticks(outcome: str) -> float:
        labels = {"service": "analytics", "outcome": outcome}
        return found[("capsure_ticks_ingested_total", frozenset(labels.items()))]

    assert (ticks("stored"), ticks("duplicate"), ticks("refused")) == (5, 2, 3)


async def test_a_refresher_that_fails_or_hangs_leaves_the_scrape_answering(monkeypatch) -> None:
    monkeypatch.setattr(metrics_module, "REFRESH_TIMEOUT_SECONDS", 0.05)
    metrics = AppMetrics("nft")
    refreshed: list[str] = []

    async def database_away() -> None:
        raise ConnectionError("the database is away")

    async def hangs() -> None:
        await asyncio.Event().wait()

    async def fresh() -> None:
        refreshed.append("fresh")

    for refresher in (database_away, hangs, fresh):
        metrics.refresh_before_scrape(refresher)
    async with asyncio.timeout(5):  # bounded: the hung one is cut at its timeout
        await metrics.refresh()
    assert refreshed == ["fresh"]  # the others' failures did not stop it
    assert b"capsure_http_requests_in_flight" in metrics.exposition()


async def test_with_metrics_off_nothing_is_counted_or_served() -> None:
    app = nft_app(InMemoryUserDirectory(), metrics_enabled=False)
    async with asgi_client(app) as client:
        assert (await client.get(f"/api/nfts/user/{uuid.uuid4()}")).status_code == 200
        assert (await client.get("/metrics")).status_code == 404
    assert b"list_user_nfts" not in app.metrics.exposition()
