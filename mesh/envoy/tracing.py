"""Traces from the Envoys (issue 14): when the mesh is given an OTLP endpoint, every hop a request
takes through an Envoy is a span, exported with Envoy's OpenTelemetry tracer (OTLP over HTTP):

- the edge starts the trace (`traceparent`, W3C), sampling `sampling_percent` of requests; what a
  client sends as trace context is dropped first, so no client joins, or forces, a trace;
- each sidecar's inbound (a SERVER span) and each egress to a peer (a CLIENT span) continue it,
  following the sampled flag of the `traceparent` they are given. Envoy's own decision would
  come from bits of x-request-id, which an app does not carry into an outbox's delivery: the
  sidecars ignore them and follow the `traceparent` alone, which every request they take
  carries (the edge, a peer's Envoy or an app's SDK send one; a health check, untraced, does
  not; nor does the edge's fetch of the token keys: a trace of its own every 30 s);
- apps continue it in between (services/common/tracing.py).

The control plane's listeners (registry, heartbeats, xDS) and the metrics listeners are not
traced: they would be most of the spans and say nothing about a request. Each span carries
`capsure.hop` (edge, inbound, egress_<peer>) to tell them apart."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from mesh.envoy.common import Config, duration, single_endpoint, typed
from mesh.envoy.envoy_headers import EARLY_HEADER_MUTATION, EARLY_HEADER_MUTATION_CONFIG
from mesh.envoy.faults import RUNTIME_STATIC_LAYER
from mesh.envoy.listeners import HCM
from mesh.envoy.policies import GRPC_HEALTH_SERVICE, HEALTH_PATH
from mesh.envoy.sidecar import EGRESS_PREFIX, INBOUND
from mesh.topology import Instance

COLLECTOR = "opentelemetry_collector"
TRACES_PATH = "/v1/traces"  # OTLP/HTTP, as the SDK's exporter appends it to the endpoint
EXPORT_TIMEOUT_SECONDS = 1.0
TRACE_CONTEXT_HEADERS = ("traceparent", "tracestate")
HOP_TAG = "capsure.hop"
# A sidecar's decision comes from the traceparent, not from bits of x-request-id.
REQUEST_ID_NOT_FOR_SAMPLING = {
    "typed_config": typed(
        "envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig",
        use_request_id_for_trace_sampling=False,
    )
}
# Health checks carry no trace context; marked as what they are, Envoy traces none of them
# (they would be most of the spans). The filter passes them on to the app all the same.
HEALTH_CHECKS_MARKED = {
    "name": "envoy.filters.http.health_check",
    "typed_config": typed(
        "envoy.extensions.filters.http.health_check.v3.HealthCheck",
        pass_through_mode=True,
        headers=[
            {
                "name": ":path",
                "string_match": {
                    "safe_regex": {
                        "regex": f"^{re.escape(HEALTH_PATH)}$|^/{re.escape(GRPC_HEALTH_SERVICE)}/.*"
                    }
                },
            }
        ],
    ),
}
# Envoy's tracer sends a batch every second or at 5 spans (runtime defaults of the bootstrap).
FLUSH_RUNTIME = {"tracing.opentelemetry.flush_interval_ms": 1000}


@dataclass(frozen=True)
class TraceExport:
    """Where Envoys send spans (OTEL_EXPORTER_OTLP_ENDPOINT: http://host:port) and what share of
    the edge's requests starts a trace."""

    host: str
    port: int
    sampling_percent: float = 100.0

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def app_environment(self) -> dict[str, str]:
        """What tells an app to trace, and where to (services/common/tracing.py)."""
        return {"OTEL_EXPORTER_OTLP_ENDPOINT": self.endpoint}

    @classmethod
    def from_endpoint(cls, endpoint: str, sampling_percent: float = 100.0) -> TraceExport:
        parts = urlsplit(endpoint)
        if parts.scheme != "http" or parts.hostname is None or parts.port is None:
            raise ValueError(f"an OTLP endpoint is http://host:port, not {endpoint[:100]!r}")
        if not 0 <= sampling_percent <= 100:
            raise ValueError(f"a sampling percentage is 0-100, not {sampling_percent}")
        return cls(parts.hostname, parts.port, sampling_percent)


def trace_export_from(environment: Mapping[str, str]) -> TraceExport | None:
    """The OpenTelemetry SDK's own variables, read for the Envoys too: OTEL_EXPORTER_OTLP_ENDPOINT
    (unset: no tracing) and OTEL_TRACES_SAMPLER_ARG, the share of requests the edge samples
    (0-1, default 1)."""
    endpoint = environment.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if not endpoint:
        return None
    try:
        ratio = float(environment.get("OTEL_TRACES_SAMPLER_ARG", "1"))
    except ValueError:
        raise ValueError("OTEL_TRACES_SAMPLER_ARG is a ratio, 0 to 1") from None
    return TraceExport.from_endpoint(endpoint, ratio * 100)


def collector_cluster(export: TraceExport) -> Config:
    return {
        "name": COLLECTOR,
        "type": "STRICT_DNS",
        "connect_timeout": duration(EXPORT_TIMEOUT_SECONDS),
        "load_assignment": single_endpoint(COLLECTOR, (export.host, export.port)),
    }


def hcm_tracing(export: TraceExport, service_name: str, hop: str, *, starts: bool) -> Config:
    """An HTTP connection manager's `tracing`: `starts` (the edge) samples new traces at the
    export's rate; every other hop traces each request, sampled as its `traceparent` says."""
    provider = typed(
        "envoy.config.trace.v3.OpenTelemetryConfig",
        http_service={
            "http_uri": {
                "uri": f"http://{export.host}:{export.port}{TRACES_PATH}",
                "cluster": COLLECTOR,
                "timeout": duration(EXPORT_TIMEOUT_SECONDS),
            }
        },
        service_name=service_name,
    )
    return {
        "provider": {"name": "envoy.tracers.opentelemetry", "typed_config": provider},
        "random_sampling": {"value": export.sampling_percent if starts else 100.0},
        "spawn_upstream_span": False,
        "custom_tags": [{"tag": HOP_TAG, "literal": {"value": hop}}],
    }


def with_tracing(
    bootstrap: Config, export: TraceExport, service_name: str, hops: dict[str, bool]
) -> Config:
    """`bootstrap`, changed in place and returned, with the listeners named in `hops` traced
    (True: it starts traces), the collector's cluster and the tracer's flush interval; the rest
    unchanged. Only on a config just generated: nothing else may hold it."""
    for listener in bootstrap["static_resources"]["listeners"]:
        hop = listener["name"]
        if hop not in hops:
            continue
        # Envoy names and kinds its span by it: an egress is the CLIENT side of a call.
        listener["traffic_direction"] = "OUTBOUND" if hop.startswith(EGRESS_PREFIX) else "INBOUND"
        for chain in listener["filter_chains"]:
            for network_filter in chain["filters"]:
                manager = network_filter["typed_config"]
                if not manager.get("@type", "").endswith(HCM):
                    continue
                manager["tracing"] = hcm_tracing(export, service_name, hop, starts=hops[hop])
                if hops[hop]:
                    manager["early_header_mutation_extensions"].append(drop_trace_context())
                else:
                    manager["request_id_extension"] = REQUEST_ID_NOT_FOR_SAMPLING
                    manager["http_filters"].insert(0, HEALTH_CHECKS_MARKED)
    bootstrap["static_resources"]["clusters"].append(collector_cluster(export))
    layers = bootstrap["layered_runtime"]["layers"]
    if "static_layer" not in layers[0]:
        layers.insert(0, {"name": RUNTIME_STATIC_LAYER, "static_layer": {}})
    layers[0]["static_layer"].update(FLUSH_RUNTIME)
    return bootstrap


def drop_trace_context() -> Config:
    """An early header mutation removing a client's trace context before the edge reads it: a
    client neither joins a trace of the mesh nor makes the edge sample its request."""
    return {
        "name": EARLY_HEADER_MUTATION,
        "typed_config": typed(
            EARLY_HEADER_MUTATION_CONFIG,
            mutations=[{"remove": name} for name in TRACE_CONTEXT_HEADERS],
        ),
    }


def traced_sidecar_hops(instance: Instance) -> dict[str, bool]:
    """A sidecar's request hops: its inbound and its egress to each peer (not its egress to the
    registry: heartbeats). None of them starts a trace."""
    return {INBOUND: False, **{f"{EGRESS_PREFIX}{peer}": False for peer in instance.service.egress}}
