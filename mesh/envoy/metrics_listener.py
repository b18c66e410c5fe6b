"""A metrics listener: where Prometheus scrapes one instance, in plaintext, as Istio's sidecars
serve theirs (ports 15020 and 15090). Every sidecar has one, the registry's and the edge's too.
Exactly two reads, nothing else:

- `GET /metrics`: the app's own RED metrics (services/common/metrics.py), which no caller
  reaches through the inbound (no RBAC policy names the path);
- `GET /stats/prometheus`: the sidecar's Envoy statistics, read from its admin endpoint, whose
  other pages (`/quitquitquit`, `/config_dump`, …) stay unreachable from here.

Every other path, method or query is a 404 from Envoy itself. Figures only: no identity is
needed to read them, so the listener takes no TLS; it is on the instance's inbound host
(loopback under `make run`, the container's network under compose, never published). The
edge's serves only its Envoy's page: it has no app."""

from __future__ import annotations

from mesh.envoy.clusters import LOCAL_APP, local_app_cluster
from mesh.envoy.common import Config
from mesh.envoy.listeners import http_listener
from mesh.envoy.routes import rest_action, route_config
from mesh.topology import HOST, Instance
from services.common.metrics import ENVOY_METRICS_PATH
from services.common.metrics import METRICS_PATH as APP_METRICS_PATH

METRICS_LISTENER = "metrics"
ENVOY_ADMIN = "envoy_admin"  # the sidecar's own admin endpoint, on loopback
SCRAPE_TIMEOUT_SECONDS = 10.0  # Prometheus' default scrape timeout


def _exactly_get(path: str) -> Config:
    """GET of `path` with no query: a route's `path` ignores the query, and the admin page
    would take one (`?filter=<regex>` over every stat, from whoever can reach the port)."""
    return {
        "path": path,
        "headers": [
            {"name": ":method", "string_match": {"exact": "GET"}},
            {"name": ":path", "string_match": {"exact": path}},
        ],
    }


def metrics_listener(address: tuple[str, int], app_cluster: str | None = LOCAL_APP) -> Config:
    """The listener at `address`: the app's page through `app_cluster` (None: an Envoy with no
    app, the edge) and the Envoy's own through its admin endpoint."""
    app_route = {
        "name": "app-metrics",
        "match": _exactly_get(APP_METRICS_PATH),
        "route": rest_action(app_cluster, SCRAPE_TIMEOUT_SECONDS),
    }
    routes = [
        *([app_route] if app_cluster is not None else []),
        {
            "name": "envoy-metrics",
            "match": _exactly_get(ENVOY_METRICS_PATH),
            "route": rest_action(ENVOY_ADMIN, SCRAPE_TIMEOUT_SECONDS),
        },
        {"name": "nothing-else", "match": {"prefix": "/"}, "direct_response": {"status": 404}},
    ]
    return http_listener(METRICS_LISTENER, address, route_config(METRICS_LISTENER, routes))


def instance_metrics_listener(instance: Instance, host: str = HOST) -> Config:
    return metrics_listener((host, instance.ports.metrics))


def envoy_admin_cluster(admin_port: int) -> Config:
    """An Envoy's own admin endpoint as an upstream of its metrics listener."""
    return local_app_cluster(ENVOY_ADMIN, admin_port, "http")
