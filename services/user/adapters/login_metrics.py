"""`capsure_login_throttled_total{service}`, in user's metrics: logins the throttle refused
(429) before checking a password. A guessing attack on an account, or from an address, shows
here before anywhere else."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import Counter

from services.common.metrics import AppMetrics


def throttled_logins(metrics: AppMetrics) -> Callable[[], None]:
    """The use cases' `on_throttled`, counting in `metrics`' registry."""
    counter = Counter(
        "capsure_login_throttled",
        "Logins the throttle refused before checking a password.",
        ("service",),
        registry=metrics.registry,
    )
    return counter.labels(metrics.service).inc
