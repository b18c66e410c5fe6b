"""`make top`'s figures (mesh/top.py) from two readings of an app's /metrics page: requests a
second and share of 5xx (health checks left out), p50 and p99 as Prometheus computes them."""

from __future__ import annotations

import pytest
from prometheus_client import generate_latest

from mesh.top import Figures, Reading, Row, figures, quantile, reading_of, table
from services.common.metrics import AppMetrics

pytestmark = pytest.mark.unit


def page(metrics: AppMetrics) -> str:
    return generate_latest(metrics.registry).decode()


def test_two_readings_give_the_rate_errors_and_latency_of_what_happened_between() -> None:
    metrics = AppMetrics("nft")
    metrics.observe_http("list_user_nfts", "GET", 200, 0.004)
    before = reading_of(page(metrics), at=10.0)
    for _ in range(90):
        metrics.observe_http("list_user_nfts", "GET", 200, 0.004)  # in (2.5 ms, 5 ms]
    for _ in range(10):
        metrics.observe_http("mint_nft", "POST", 503, 0.2)  # in (100 ms, 250 ms]
    for _ in range(50):
        metrics.observe_http("other", "GET", 200, 9.0)  # health checks: not counted
    after = reading_of(page(metrics), at=12.0)
    shown = figures(before, after)
    assert shown.rps == pytest.approx(50.0)  # 100 requests in 2 s
    assert shown.error_ratio == pytest.approx(0.1)
    assert 0.0025 < shown.p50 <= 0.005
    assert 0.1 < shown.p99 <= 0.25


def test_grpc_calls_count_and_only_server_failures_are_errors() -> None:
    metrics = AppMetrics("analytics")
    before = reading_of(page(metrics), at=0.0)
    ok = metrics.grpc_requests.labels("analytics", "/market.MarketDataService/SendMarketData", "OK")
    ok.inc(8)
    path = "/market.MarketDataService/SendMarketData"
    metrics.grpc_requests.labels("analytics", path, "INVALID_ARGUMENT").inc(1)  # the caller's
    metrics.grpc_requests.labels("analytics", path, "UNAVAILABLE").inc(1)  # the server's
    health = "/grpc.health.v1.Health/Check"
    metrics.grpc_requests.labels("analytics", health, "OK").inc(50)  # Envoys' checks: left out
    metrics.grpc_latency.labels("analytics", health).observe(9.0)
    shown = figures(before, reading_of(page(metrics), at=1.0))
    assert (shown.rps, shown.error_ratio) == (10.0, pytest.approx(0.1))
    assert shown.p99 is None  # only the health check was timed


def test_quantiles_are_interpolated_within_their_bucket() -> None:
    buckets = {0.1: 50.0, 0.2: 100.0, float("inf"): 100.0}
    assert quantile(0.5, buckets) == pytest.approx(0.1)
    assert quantile(0.75, buckets) == pytest.approx(0.15)
    assert quantile(0.99, {0.1: 0.0, float("inf"): 10.0}) == 0.1  # past the last bound
    assert quantile(0.5, {0.1: 0.0, float("inf"): 0.0}) is None


def test_a_quiet_instance_shows_no_rate_of_errors_nor_latency() -> None:
    quiet = figures(Reading(0.0), Reading(1.0))
    assert quiet == Figures(rps=0.0, error_ratio=None, p50=None, p99=None)


def test_the_table_shows_every_row_and_unreadable_instances() -> None:
    rows = [
        Row("nft", "nft-1", "SERVING", Figures(12.5, 0.02, 0.003, 0.04)),
        Row("nft", "nft-2", "unreachable", None),
    ]
    shown = table(rows)
    cells = [list(column.cells) for column in shown.columns]
    assert cells[1] == ["nft-1", "nft-2"]
    assert cells[3] == ["12.5", "-"] and cells[4] == ["2.0%", "-"]
    assert cells[5] == ["3.0 ms", "-"] and cells[6] == ["40.0 ms", "-"]
