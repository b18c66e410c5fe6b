"""Fault injection on a dependency, and the runtime that switches it on live.

Every sidecar's inbound carries Envoy's fault filter, injecting nothing by default. Its
percentages, abort status and delay are runtime keys, so an operator or a test turns aborts and
delays on and off through that sidecar's admin (loopback only), with no restart and no config
change; every caller of that instance (peers' sidecars, the edge) then meets the fault:

    curl -X POST 'http://127.0.0.1:<admin>/runtime_modify?fault.http.abort.abort_percent=100'
    curl -X POST 'http://127.0.0.1:<admin>/runtime_modify?fault.http.abort.abort_percent='

(an empty value removes the override: back to the defaults below). The edge has no fault
filter: faults are a dependency-side tool. Every Envoy has the admin runtime layer, which also
overrides circuit breakers live (`circuit_breakers.<cluster>.default.max_requests=…`).

Health checks (`/healthz`, gRPC `grpc.health.v1.Health`) are never faulted: a fault on them
would take every instance out of rotation, and the test of a slow or failing dependency would
become the test of an absent one.
"""

from __future__ import annotations

from mesh.envoy.common import Config, duration, typed

FAULT_FILTER = "envoy.filters.http.fault"
HTTP_FAULT = "envoy.extensions.filters.http.fault.v3.HTTPFault"
ROUTE_FILTER_CONFIG = "envoy.config.route.v3.FilterConfig"

# Envoy's own runtime keys of the fault filter (the default names: one filter per sidecar).
ABORT_PERCENT = "fault.http.abort.abort_percent"  # 0-100 of requests answered by the sidecar
ABORT_STATUS = "fault.http.abort.http_status"  # the status those requests get
DELAY_PERCENT = "fault.http.delay.fixed_delay_percent"  # 0-100 of requests held back ...
DELAY_MS = "fault.http.delay.fixed_duration_ms"  # ... this long before they go to the app

DEFAULT_ABORT_STATUS = 503  # what an overloaded or dying instance answers
DEFAULT_DELAY_SECONDS = 1.0  # used only once a delay percentage is set; override with DELAY_MS

RUNTIME_STATIC_LAYER = "defaults"
RUNTIME_ADMIN_LAYER = "admin"  # what /runtime_modify writes


def fault_filter() -> Config:
    """The fault filter of a sidecar's inbound, off: 0 % aborts, 0 % delays."""
    return {
        "name": FAULT_FILTER,
        "typed_config": typed(
            HTTP_FAULT,
            abort={"http_status": DEFAULT_ABORT_STATUS, "percentage": _none()},
            delay={"fixed_delay": duration(DEFAULT_DELAY_SECONDS), "percentage": _none()},
        ),
    }


def _none() -> Config:
    # A new object per use: YAML would write one shared object as an anchor and an alias.
    # Runtime percentages are read against this denominator: `abort_percent=50` is 50 %.
    return {"numerator": 0, "denominator": "HUNDRED"}


def fault_runtime_defaults() -> dict[str, int]:
    """The knobs at their defaults, in the static runtime layer: `GET /runtime` on a sidecar's
    admin lists them (and what the admin layer overrides), so they are found where they act."""
    return {
        ABORT_PERCENT: 0,
        ABORT_STATUS: DEFAULT_ABORT_STATUS,
        DELAY_PERCENT: 0,
        DELAY_MS: int(DEFAULT_DELAY_SECONDS * 1000),
    }


def without_faults() -> Config:
    """`typed_per_filter_config` of a route the fault filter must leave alone."""
    return {FAULT_FILTER: typed(ROUTE_FILTER_CONFIG, disabled=True)}


def layered_runtime(static: dict[str, int] | None = None) -> Config:
    """Envoy has no runtime layer unless the bootstrap names one (then /runtime_modify fails:
    "No admin layer specified"): `static` values first, the admin layer's overrides on top."""
    layers: list[Config] = []
    if static:
        layers.append({"name": RUNTIME_STATIC_LAYER, "static_layer": static})
    layers.append({"name": RUNTIME_ADMIN_LAYER, "admin_layer": {}})
    return {"layers": layers}
