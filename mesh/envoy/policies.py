"""Resilience policies of the mesh's upstream clusters, each value sized on purpose.

Every EDS cluster (a service's REST or gRPC API, reached through its instances' sidecars)
carries all of them; the local app clusters of a sidecar carry the circuit breakers only.
"""

from __future__ import annotations

from mesh.envoy.common import Config, duration
from mesh.topology import Protocol, ServiceSpec

GRPC_HEALTH_SERVICE = "grpc.health.v1.Health"
HEALTH_PATH = "/healthz"

# Active health checks: a dead or unready instance leaves rotation within ~2 s.
HEALTH_INTERVAL = 1.0  # cheap on loopback; bounds detection time of a hung (not refused) peer
HEALTH_TIMEOUT = 0.5  # /healthz answers in ms; half the interval so checks never overlap
UNHEALTHY_THRESHOLD = 2  # one lost check (a GC pause, a slow DB ping) must not evict an instance
HEALTHY_THRESHOLD = 1  # a restarted instance serves after its first good check, not N seconds
NO_TRAFFIC_INTERVAL = 1.0  # default 60 s: an idle cluster would notice a dead host only after 1 min

# Outlier detection: passive, on real traffic, faster than health checks.
CONSECUTIVE_5XX = 3  # an app answering 5xx three times in a row is broken, not unlucky
CONSECUTIVE_GATEWAY_FAILURE = 2  # 502/503/504 from the peer's sidecar: its app is gone or stuck
CONSECUTIVE_LOCAL_ORIGIN_FAILURE = 1  # a refused/reset connection: the sidecar is down, eject now
OUTLIER_INTERVAL = 0.5  # ejection sweeps twice a second: a returned host is back within 0.5 s
BASE_EJECTION_TIME = 5.0  # long enough to restart a process; x N on the N-th repeat ejection
MAX_EJECTION_TIME = 30.0  # default 300 s: repeat ejections of a flapping host stay short
MAX_EJECTION_PERCENT = 50  # with 2 instances one may be ejected; the other keeps serving

# Load balancing.
HEALTHY_PANIC_PERCENT = 25.0  # 2 instances: panic (send to all) only when none is healthy

# Circuit breakers: far above our concurrency, so they only stop a runaway.
MAX_CONNECTIONS = 1024
MAX_PENDING_REQUESTS = 1024
MAX_REQUESTS = 1024
# Default 3 concurrent retries per cluster turns the retries of one dying instance's in-flight
# requests into client 503s; a fixed 64 (not a retry_budget, whose percentage of active
# requests is too small when half the hosts fail at once) still caps a retry storm.
MAX_RETRIES = 64

BUFFER_LIMIT_BYTES = 32 * 1024  # Envoy's edge recommendation: bounds memory per connection
CONNECT_TIMEOUT = 0.25  # loopback/LAN connects take < 1 ms; fail fast and retry another host


def health_check(spec: ServiceSpec, protocol: Protocol) -> Config:
    """The active health check of a service's REST or gRPC cluster."""
    check: Config = {
        "interval": duration(HEALTH_INTERVAL),
        "timeout": duration(HEALTH_TIMEOUT),
        "unhealthy_threshold": UNHEALTHY_THRESHOLD,
        "healthy_threshold": HEALTHY_THRESHOLD,
        "no_traffic_interval": duration(NO_TRAFFIC_INTERVAL),
        # One connection per host for checks, not a new handshake every second.
        "reuse_connection": True,
    }
    if protocol == "grpc":
        # By name: the app reports each service it serves (and stops reporting when draining).
        check["grpc_health_check"] = {"service_name": spec.grpc_services[0]}
    else:
        # Readiness, not liveness: /healthz answers 503 while the service's database is down.
        check["http_health_check"] = {
            "path": HEALTH_PATH,
            "expected_statuses": [{"start": 200, "end": 201}],
        }
    return check


def outlier_detection() -> Config:
    return {
        "consecutive_5xx": CONSECUTIVE_5XX,
        "enforcing_consecutive_5xx": 100,
        "consecutive_gateway_failure": CONSECUTIVE_GATEWAY_FAILURE,
        # Default 0: gateway-failure detection would be counted but never eject.
        "enforcing_consecutive_gateway_failure": 100,
        # Connect failures/resets are counted apart from the app's 5xx answers ...
        "split_external_local_origin_errors": True,
        # ... so one refused connection ejects at once, before the health check notices.
        "consecutive_local_origin_failure": CONSECUTIVE_LOCAL_ORIGIN_FAILURE,
        "enforcing_consecutive_local_origin_failure": 100,
        "interval": duration(OUTLIER_INTERVAL),
        "base_ejection_time": duration(BASE_EJECTION_TIME),
        "max_ejection_time": duration(MAX_EJECTION_TIME),
        "max_ejection_percent": MAX_EJECTION_PERCENT,
        # Success-rate statistics need >= 5 hosts with 100 requests per interval: we have 2.
        "enforcing_success_rate": 0,
        "enforcing_local_origin_success_rate": 0,
        # Failure-percentage detection stays off (its default) for the same reason.
        "enforcing_failure_percentage": 0,
        "enforcing_failure_percentage_local_origin": 0,
        # Default true: a /healthz 200 a second later would undo every ejection at once, and an
        # app that 5xxs its real traffic but passes /healthz would keep receiving it.
        "successful_active_health_check_uneject_host": False,
    }


def circuit_breakers() -> Config:
    return {
        "thresholds": [
            {
                "priority": "DEFAULT",
                "max_connections": MAX_CONNECTIONS,
                "max_pending_requests": MAX_PENDING_REQUESTS,
                "max_requests": MAX_REQUESTS,
                "max_retries": MAX_RETRIES,
                # remaining_* gauges in /stats show how close a cluster runs to its limits.
                "track_remaining": True,
            }
        ]
    }


def common_lb_config() -> Config:
    return {
        # Default 50 %: with 2 hosts and one ejected Envoy sits exactly on the threshold.
        "healthy_panic_threshold": {"value": HEALTHY_PANIC_PERCENT},
        # Default 1 s: a health change or EDS push would wait up to a second to take effect.
        "update_merge_window": duration(0),
    }


def lb_policy(spec: ServiceSpec) -> str:
    """ROUND_ROBIN, or LEAST_REQUEST where requests are long and uneven (streams)."""
    return spec.lb_policy.upper()
