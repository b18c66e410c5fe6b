"""An app's RED metrics (issue 14), in Prometheus' text format at `GET /metrics`:

- `capsure_http_requests_total{service, operation, method, status_class}`: requests answered,
  by the contract's operationId (`other` for what no operation routes: /healthz, a 404 …);
- `capsure_http_request_duration_seconds{service, operation, method}`: a histogram, from the
  request's arrival to the end of its answer;
- `capsure_http_requests_in_flight{service}`;
- `capsure_idempotent_replays_total{service, operation}`: answers replayed for a repeated
  Idempotency-Key (a client's retries, seen);
- `capsure_grpc_requests_total{service, method, code}` and
  `capsure_grpc_request_duration_seconds{service, method}` for gRPC servers
  (`counting_calls`).

Every label takes a bounded set of values (the contract's operations and methods, status
classes, gRPC status names): nothing a client sends becomes a label. Each app keeps its own
registry (no process-wide state). /metrics is the app's own route: no sidecar RBAC policy
names it, so no caller reaches it through the mesh (tests/e2e/test_mesh_metrics.py tries)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from grpclib.const import Status
from grpclib.exceptions import GRPCError
from grpclib.server import Stream
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from starlette.responses import Response

from services.common.contracts import HTTP_METHODS
from services.common.grpc_servables import Method, Servable, each_method_by_path

log = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
# Well within Prometheus' 10 s scrape timeout, however many refreshers an app has.
REFRESH_TIMEOUT_SECONDS = 2.0
# An Envoy's statistics in the same format, as its metrics listener serves them (mesh/envoy).
ENVOY_METRICS_PATH = "/stats/prometheus"
# From a fast read (0.4 ms) to a route timeout (10 s).
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
OTHER = "other"  # what no contract operation routes
KNOWN_METHODS = frozenset(method.upper() for method in HTTP_METHODS)  # what a contract can name
ROUTING = "connexion_routing"  # where Connexion's routing leaves the operationId in the scope


class AppMetrics:
    """One app's metrics and their registry."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry(auto_describe=False)
        self.http_requests = Counter(
            "capsure_http_requests",
            "HTTP requests answered, by operation, method and status class.",
            ("service", "operation", "method", "status_class"),
            registry=self.registry,
        )
        self.http_latency = Histogram(
            "capsure_http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer.",
            ("service", "operation", "method"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.http_in_flight = Gauge(
            "capsure_http_requests_in_flight",
            "HTTP requests being served.",
            ("service",),
            registry=self.registry,
        ).labels(service)
        self.grpc_requests = Counter(
            "capsure_grpc_requests",
            "gRPC calls ended, by method and status code.",
            ("service", "method", "code"),
            registry=self.registry,
        )
        self.grpc_latency = Histogram(
            "capsure_grpc_request_duration_seconds",
            "Time from a call's start to its end.",
            ("service", "method"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.idempotent_replays = Counter(
            "capsure_idempotent_replays",
            "Answers replayed for a repeated Idempotency-Key, by operation.",
            ("service", "operation"),
            registry=self.registry,
        )
        # Children by label values: labels() per request costs more than the count itself.
        self._http: dict[tuple[str, str, str], tuple[Any, Any]] = {}
        self._refreshers: list[Callable[[], Awaitable[None]]] = []

    def refresh_before_scrape(self, refresher: Callable[[], Awaitable[None]]) -> None:
        """Run `refresher` before each scrape: figures read from the database (an outbox's
        backlog) are as fresh as the scrape, and cost nothing between scrapes."""
        self._refreshers.append(refresher)

    async def refresh(self) -> None:
        """Each refresher, within REFRESH_TIMEOUT_SECONDS; one that fails or is late leaves
        its figures as they were (the scrape still answers, with everything else fresh)."""
        for refresher in self._refreshers:
            try:
                async with asyncio.timeout(REFRESH_TIMEOUT_SECONDS):
                    await refresher()
            except Exception as error:  # the database away: stale figures, not a failed scrape
                log.warning("metrics not refreshed (%s): %r", refresher, error)

    def observe_http(self, operation: str, method: str, status: int, seconds: float) -> None:
        key = (operation, method, f"{status // 100}xx")
        children = self._http.get(key)
        if children is None:
            children = (
                self.http_requests.labels(self.service, *key),
                self.http_latency.labels(self.service, operation, method),
            )
            self._http[key] = children
        count, latency = children
        count.inc()
        latency.observe(seconds)

    def count_replay(self, operation_id: str) -> None:
        self.idempotent_replays.labels(self.service, operation_id).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class RequestMetrics:
    """ASGI middleware counting every HTTP request of the app it wraps (outermost of what the
    app answers: refusals before routing count too)."""

    def __init__(self, app: Any, metrics: AppMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Shared with the copies Connexion's routing makes: it writes the operationId here.
        extensions = scope.setdefault("extensions", {})
        status = 500  # an app that answers nothing has failed
        started = time.perf_counter()

        async def send_counting(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        self.metrics.http_in_flight.inc()
        try:
            await self.app(scope, receive, send_counting)
        finally:
            self.metrics.http_in_flight.dec()
            operation = extensions.get(ROUTING, {}).get("operation_id") or OTHER
            method = scope["method"] if scope["method"] in KNOWN_METHODS else OTHER
            self.metrics.observe_http(operation, method, status, time.perf_counter() - started)


def metrics_endpoint(metrics: AppMetrics) -> Callable[..., Any]:
    """The handler of GET /metrics."""

    async def serve_metrics(*_: Any, **__: Any) -> Response:
        await metrics.refresh()
        # The text format every Prometheus 2.x and 3.x reads (Debian's is 2.x).
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_PLAIN_0_0_4)

    return serve_metrics


def counting_calls(servable: Any, metrics: AppMetrics) -> Servable:
    """`servable` with each call counted by its method and the status it ended with."""

    def wrap(path: str, method: Method) -> Method:
        latency = metrics.grpc_latency.labels(metrics.service, path)

        async def handle(stream: Stream[Any, Any]) -> None:
            code = Status.UNKNOWN
            started = time.perf_counter()
            try:
                await method(stream)
                code = Status.OK
            except GRPCError as error:
                code = error.status
                raise
            finally:
                latency.observe(time.perf_counter() - started)
                metrics.grpc_requests.labels(metrics.service, path, code.name).inc()

        return handle

    return each_method_by_path(servable, wrap)
