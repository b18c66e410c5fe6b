"""Fault injection in the generated configs: every sidecar's inbound has Envoy's fault filter,
injecting nothing until its runtime keys are set through the sidecar's admin; health checks are
never faulted; the edge has no fault filter; every Envoy has an admin runtime layer.

No Envoy runs here (tests/e2e/test_chaos_faults.py switches the faults on in a live mesh)."""

from __future__ import annotations

from typing import Any

import pytest

from mesh.envoy.faults import ABORT_PERCENT, ABORT_STATUS, DELAY_MS, DELAY_PERCENT
from mesh.topology import load_topology
from tests.support.envoy_configs import edge_of, hcm, instances_of, listeners, resolve, sidecar_of

pytestmark = pytest.mark.unit

Config = dict[str, Any]
FAULT = "envoy.filters.http.fault"
HTTP_FAULT_TYPE = "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault"
OFF = {"numerator": 0, "denominator": "HUNDRED"}


@pytest.fixture(scope="module")
def sidecars() -> dict[str, Config]:
    """Every sidecar of the default topology (mesh/mesh.yaml)."""
    topology = load_topology()
    return {i.id: sidecar_of(topology, i) for i in instances_of(topology)}


@pytest.fixture(scope="module")
def edge() -> Config:
    return edge_of(load_topology())


def filter_names(listener: Config) -> list[str]:
    return [f["name"] for f in hcm(listener)["http_filters"]]


def inbound_fault(config: Config) -> Config:
    (fault,) = [f for f in hcm(listeners(config)["inbound"])["http_filters"] if f["name"] == FAULT]
    return fault["typed_config"]


def runtime_layers(config: Config) -> dict[str, Config]:
    return {layer["name"]: layer for layer in config["layered_runtime"]["layers"]}


def test_every_sidecar_inbound_has_the_fault_filter_first_and_off(
    sidecars: dict[str, Config],
) -> None:
    for name, config in sidecars.items():
        # Envoy: the fault filter goes before every other filter but RBAC (a caller it refuses
        # meets no fault: it never gets that far); the router is last.
        assert filter_names(listeners(config)["inbound"]) == [
            "envoy.filters.http.rbac",
            FAULT,
            "envoy.filters.http.router",
        ]
        fault = inbound_fault(config)
        assert fault["@type"] == HTTP_FAULT_TYPE
        assert fault["abort"] == {"http_status": 503, "percentage": OFF}, name
        assert fault["delay"] == {"fixed_delay": "1s", "percentage": OFF}, name
        # The default runtime key names, which the README and the e2e test use.
        for custom in ("abort_percent_runtime", "delay_percent_runtime", "upstream_cluster"):
            assert custom not in fault
        # Never from a request header: a caller must not be able to fault a dependency.
        assert "header_abort" not in fault["abort"] and "header_delay" not in fault["delay"]


def test_egress_listeners_inject_nothing(sidecars: dict[str, Config]) -> None:
    for config in sidecars.values():
        for name, listener in listeners(config).items():
            if name != "inbound":
                assert FAULT not in filter_names(listener), name


def test_every_sidecar_has_the_fault_knobs_at_zero_and_an_admin_layer(
    sidecars: dict[str, Config],
) -> None:
    for config in sidecars.values():
        layers = runtime_layers(config)
        assert list(layers) == ["defaults", "admin"]  # the admin layer overrides the defaults
        assert layers["defaults"]["static_layer"] == {
            ABORT_PERCENT: 0,
            ABORT_STATUS: 503,
            DELAY_PERCENT: 0,
            DELAY_MS: 1000,
        }
        assert layers["admin"] == {"name": "admin", "admin_layer": {}}


@pytest.mark.parametrize(
    ("instance", "path", "grpc"),
    [("nft-1", "/healthz", False), ("analytics-1", "/grpc.health.v1.Health/Check", True)],
)
def test_health_checks_are_never_faulted(
    sidecars: dict[str, Config], instance: str, path: str, grpc: bool
) -> None:
    route = resolve(sidecars[instance], "inbound", path, "POST" if grpc else "GET", grpc=grpc)
    disabled = route["typed_per_filter_config"][FAULT]
    assert disabled == {
        "@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig",
        "disabled": True,
    }


@pytest.mark.parametrize(
    ("instance", "path", "grpc"),
    [
        ("nft-1", "/api/nfts/user/7", False),
        ("nft-1", "/healthz/x", False),  # only the exact health path is spared
        ("analytics-1", "/capsure.analytics.v1.MarketDataService/StreamMarketData", True),
    ],
)
def test_api_routes_are_faulted(
    sidecars: dict[str, Config], instance: str, path: str, grpc: bool
) -> None:
    route = resolve(sidecars[instance], "inbound", path, "POST" if grpc else "GET", grpc=grpc)
    assert FAULT not in route.get("typed_per_filter_config", {})


def test_the_edge_has_no_fault_filter_but_an_admin_runtime(edge: Config) -> None:
    for listener in listeners(edge).values():
        assert FAULT not in filter_names(listener)
    # Circuit-breaker limits (`circuit_breakers.<cluster>.default.*`) can be changed live.
    assert list(runtime_layers(edge)) == ["admin"]
