"""An app's /metrics (issue 14) is its own: the edge routes no client to it, and nft's sidecar
admits no mesh caller to it, not even the edge it admits to the API and health checks. Its
sidecar's metrics listener serves it and the Envoy's own statistics, and nothing else of the
app or of the Envoy's admin endpoint."""

from __future__ import annotations

import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from mesh.runner import Mesh
from mesh.topology import HOST
from tests.support.mesh import poll
from tests.support.tokens import bearer
from tests.support.workload_tls import workload_context

pytestmark = pytest.mark.e2e

# What a metrics listener must not serve: the admin endpoint's other pages, other methods, the
# app's other routes, queries, and paths that try to climb out of the two pages.
NOT_SERVED = [
    ("POST", "/quitquitquit"),
    ("GET", "/quitquitquit"),
    ("GET", "/config_dump"),
    ("GET", "/clusters"),
    ("POST", "/logging?level=trace"),
    ("POST", "/metrics"),
    ("POST", "/stats/prometheus"),
    ("GET", "/stats"),
    ("GET", "/stats/prometheus/../../config_dump"),
    ("GET", "/metrics/../quitquitquit"),
    ("GET", "/%2e%2e/config_dump"),
    ("GET", "/healthz"),
    ("GET", "/stats/prometheus?filter=.*&usedonly"),  # the admin page's own query
    ("GET", "/metrics?x=1"),
]


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [
        (sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


def test_no_caller_reaches_an_apps_metrics(platform_mesh: Mesh) -> None:
    through_edge = httpx.get(f"{platform_mesh.edge_url}/metrics", trust_env=False, timeout=10)
    assert through_edge.status_code == 404
    assert "capsure_http_requests" not in through_edge.text
    (nft,) = platform_mesh.instances["nft"]
    inbound = f"https://{nft.instance.inbound_address}"
    with httpx.Client(
        verify=workload_context(platform_mesh, "edge"), trust_env=False, timeout=10
    ) as as_edge:
        assert as_edge.get(f"{inbound}/healthz").status_code == 200  # the edge is admitted
        refused = as_edge.get(f"{inbound}/metrics")
        assert refused.status_code == 403
        assert "capsure_http_requests" not in refused.text


def test_a_sidecars_metrics_listener_serves_the_apps_and_its_own_figures_only(
    platform_mesh: Mesh,
) -> None:
    (nft,) = platform_mesh.instances["nft"]
    base = f"http://{HOST}:{nft.instance.ports.metrics}"
    with httpx.Client(trust_env=False, timeout=10) as client:
        # Some traffic of the app's own first: its figures are what the scrape shows.
        read = f"/api/nfts/user/{uuid.uuid4()}"
        assert client.get(platform_mesh.edge_url + read).status_code == 200
        app = client.get(f"{base}/metrics")
        assert app.status_code == 200
        counted = {"service": "nft", "operation": "list_user_nfts", "method": "GET"}
        assert any(
            sample.name == "capsure_http_requests_total"
            and counted.items() <= sample.labels.items()
            for family in text_string_to_metric_families(app.text)
            for sample in family.samples
        ), app.text
        # The outbox's figures, read from its database at the scrape.
        backlog = samples(app.text, "capsure_outbox_backlog")
        assert [labels["topic"] for labels, _ in backlog] == ["nft.events"], app.text
        envoy = client.get(f"{base}/stats/prometheus")
        assert envoy.status_code == 200
        assert "envoy_cluster_upstream_rq_total" in envoy.text
        # Nothing else of the admin endpoint or the app, by any path or method.
        for method, path in [*NOT_SERVED, ("GET", f"/api/nfts/user/{uuid.uuid4()}")]:
            status = client.request(method, base + path).status_code
            assert status in (400, 404), (method, path, status)
        # The sidecar still runs and still serves.
        admin = f"http://{HOST}:{nft.instance.ports.admin}/ready"
        assert client.get(admin).status_code == 200
        assert client.get(platform_mesh.edge_url + read).status_code == 200


def ticks_stored(metrics_url: str) -> float:
    text = httpx.get(f"{metrics_url}/metrics", trust_env=False, timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "capsure_ticks_ingested_total" and sample.labels["outcome"] == "stored"
    )


def test_ticks_posted_to_trading_are_counted_where_analytics_stores_them(
    platform_mesh: Mesh,
) -> None:
    (analytics,) = platform_mesh.instances["analytics"]
    metrics_url = f"http://{HOST}:{analytics.instance.ports.metrics}"
    before = ticks_stored(metrics_url)
    symbol = f"M{uuid.uuid4().hex[:8].upper()}"
    ticks = [
        {"assetSymbol": symbol, "price": 1.0 + n, "timestamp": 1_700_000_000_000 + n}
        for n in range(3)
    ]
    posted = httpx.post(
        f"{platform_mesh.edge_url}/api/trading/market-data/batches",
        json={"ticks": ticks},
        headers=bearer(uuid.uuid4(), roles=["Developer"]),
        trust_env=False,
        timeout=10,
    )
    assert posted.status_code == 201, posted.text
    poll(lambda: ticks_stored(metrics_url) >= before + 3, "3 more ticks stored", within=15)


def test_the_registrys_and_the_edges_metrics_listeners_serve_their_figures_only(
    platform_mesh: Mesh,
) -> None:
    registry = f"http://{HOST}:{platform_mesh.ports.registry_metrics}"
    edge = f"http://{HOST}:{platform_mesh.ports.edge_metrics}"
    with httpx.Client(trust_env=False, timeout=10) as client:
        page = client.get(f"{registry}/metrics")
        assert page.status_code == 200
        instances = samples(page.text, "capsure_registry_instances")
        assert ({"service": "nft", "status": "SERVING"}, 1.0) in instances, page.text
        streams = samples(page.text, "capsure_registry_xds_streams")
        assert streams and streams[0][1] >= len(platform_mesh.instances) + 1  # sidecars, edge
        assert samples(page.text, "capsure_registry_xds_pushes_total")[0][1] > 0
        registry_envoy = client.get(f"{registry}/stats/prometheus")
        assert registry_envoy.status_code == 200
        assert "envoy_http_downstream_rq_total" in registry_envoy.text
        edge_envoy = client.get(f"{edge}/stats/prometheus")
        assert edge_envoy.status_code == 200
        assert 'envoy_http_conn_manager_prefix="edge"' in edge_envoy.text
        # The edge has no app: its listener serves its Envoy's page alone.
        assert client.get(f"{edge}/metrics").status_code == 404
        for base in (registry, edge):
            for method, path in NOT_SERVED:
                status = client.request(method, base + path).status_code
                assert status in (400, 404), (base, method, path, status)
        assert (
            client.get(f"http://{HOST}:{platform_mesh.ports.edge_admin}/ready").status_code == 200
        )
