"""Where tracing goes in the Envoy configs (mesh/envoy/tracing.py): the edge starts traces at
its rate and drops a client's trace context first; sidecars trace their inbound and egress
hops, following the traceparent, health checks marked; nothing else is traced."""

from __future__ import annotations

import pytest

from mesh.envoy.tracing import (
    COLLECTOR,
    HOP_TAG,
    TraceExport,
    trace_export_from,
    traced_sidecar_hops,
    with_tracing,
)
from mesh.topology import load_topology
from tests.support.envoy_configs import (
    clusters,
    edge_of,
    hcm,
    instances_of,
    listeners,
    sidecar_of,
)

pytestmark = pytest.mark.unit

TOPOLOGY = load_topology()
EXPORT = TraceExport("127.0.0.1", 4318, sampling_percent=1.0)


def tracing_of(config: dict, listener: str) -> dict | None:
    return hcm(listeners(config)[listener]).get("tracing")


def test_the_edge_starts_traces_at_its_rate_and_drops_a_clients_context() -> None:
    edge = with_tracing(edge_of(TOPOLOGY, metrics_port=9102), EXPORT, "edge", {"edge": True})
    tracing = tracing_of(edge, "edge")
    assert tracing["random_sampling"] == {"value": 1.0}
    assert tracing["custom_tags"] == [{"tag": HOP_TAG, "literal": {"value": "edge"}}]
    provider = tracing["provider"]["typed_config"]
    assert provider["service_name"] == "edge"
    assert provider["http_service"]["http_uri"]["uri"] == "http://127.0.0.1:4318/v1/traces"
    assert provider["http_service"]["http_uri"]["cluster"] == COLLECTOR
    early = hcm(listeners(edge)["edge"])["early_header_mutation_extensions"]
    removed = [m["remove"] for e in early for m in e["typed_config"]["mutations"] if "remove" in m]
    assert removed == ["traceparent", "tracestate"]
    assert clusters(edge)[COLLECTOR]["load_assignment"]["endpoints"][0]["lb_endpoints"]
    assert tracing_of(edge, "metrics") is None  # scrapes are no requests of a user's


def test_a_sidecar_traces_its_inbound_and_egress_by_the_traceparent_only() -> None:
    trading = next(i for i in instances_of(TOPOLOGY) if i.service.name == "trading")
    hops = traced_sidecar_hops(trading)
    assert hops == {
        "inbound": False,
        "egress_analytics": False,
        "egress_notification": False,
        "egress_nft": False,
        "egress_user": False,
    }
    sidecar = with_tracing(sidecar_of(TOPOLOGY, trading), EXPORT, "trading", hops)
    for name in hops:
        manager = hcm(listeners(sidecar)[name])
        assert manager["tracing"]["random_sampling"] == {"value": 100.0}  # the parent decides
        id_config = manager["request_id_extension"]["typed_config"]
        assert id_config["use_request_id_for_trace_sampling"] is False
        assert manager["http_filters"][0]["name"] == "envoy.filters.http.health_check"
    assert listeners(sidecar)["egress_nft"]["traffic_direction"] == "OUTBOUND"
    assert listeners(sidecar)["inbound"]["traffic_direction"] == "INBOUND"
    # Heartbeats and scrapes: never traced.
    assert tracing_of(sidecar, "egress_registry") is None
    assert tracing_of(sidecar, "metrics") is None


@pytest.mark.parametrize(
    ("endpoint", "percent"),
    [
        ("https://collector:4318", 100.0),  # Envoy's exporter here speaks plain HTTP
        ("http://collector", 100.0),
        ("collector:4318", 100.0),
        ("http://collector:4318", 101.0),
        ("http://collector:4318", -1.0),
    ],
)
def test_an_export_outside_what_envoy_can_do_is_refused(endpoint: str, percent: float) -> None:
    with pytest.raises(ValueError):
        TraceExport.from_endpoint(endpoint, percent)


def test_make_run_reads_the_sdks_own_variables() -> None:
    assert trace_export_from({}) is None
    assert trace_export_from({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}) == (
        TraceExport("127.0.0.1", 4318, 100.0)
    )
    sampled = trace_export_from(
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://jaeger:4318", "OTEL_TRACES_SAMPLER_ARG": "0.01"}
    )
    assert sampled == TraceExport("jaeger", 4318, 1.0)
    with pytest.raises(ValueError, match="ratio"):
        trace_export_from(
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://jaeger:4318", "OTEL_TRACES_SAMPLER_ARG": "x"}
        )
