"""`make top`: a live table of every instance of a running mesh, refreshed every second: its
requests a second, share of errors, p50 and p99 latency, and health.

Instances are found as Prometheus finds them, through the registry (its scrape targets and its
instances' status, read as the operator); each instance's figures are its app's own metrics
(services/common/metrics.py) at its sidecar's metrics listener, two readings apart. Requests no
operation routes (health checks, probes) and gRPC health checks are left out, as the dashboards
leave them out."""

from __future__ import annotations

import math
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import httpx
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console
from rich.live import Live
from rich.table import Table

OTHER = "other"  # services/common/metrics.py: what no operation routes
GRPC_HEALTH = "/grpc.health.v1.Health/"  # Envoys' health checks of a gRPC server
# gRPC codes a server answers when it failed, not when the caller asked for something wrong.
GRPC_ERRORS = frozenset({"UNKNOWN", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "DEADLINE_EXCEEDED"})
SCRAPE_TIMEOUT_SECONDS = 2.0


@dataclass
class Reading:
    """One instance's counters at one moment: requests, failed requests, and its latency
    histogram's cumulative buckets (upper bound -> count)."""

    at: float
    requests: float = 0.0
    errors: float = 0.0
    buckets: dict[float, float] = field(default_factory=dict)


def reading_of(text: str, at: float) -> Reading:
    """The app's /metrics page, summed over its operations (not `other`) and methods."""
    reading = Reading(at)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if sample.name == "capsure_http_requests_total" and labels["operation"] != OTHER:
                reading.requests += sample.value
                reading.errors += sample.value if labels["status_class"] == "5xx" else 0.0
            elif labels.get("method", "").startswith(GRPC_HEALTH):
                continue
            elif sample.name == "capsure_grpc_requests_total":
                reading.requests += sample.value
                reading.errors += sample.value if labels["code"] in GRPC_ERRORS else 0.0
            elif (
                sample.name
                in (
                    "capsure_http_request_duration_seconds_bucket",
                    "capsure_grpc_request_duration_seconds_bucket",
                )
                and labels.get("operation") != OTHER
            ):
                bound = float(labels["le"])
                reading.buckets[bound] = reading.buckets.get(bound, 0.0) + sample.value
    return reading


def quantile(q: float, buckets: dict[float, float]) -> float | None:
    """As Prometheus' histogram_quantile: linear within the bucket the rank falls in; None
    without observations."""
    bounds = sorted(buckets)
    if not bounds or buckets[bounds[-1]] <= 0:
        return None
    rank = q * buckets[bounds[-1]]
    lower, below = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return lower  # past the last finite bound: it is all that can be said
            inside = count - below
            return lower + (bound - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = bound, count
    return lower


@dataclass(frozen=True)
class Figures:
    rps: float
    error_ratio: float | None  # None: no requests
    p50: float | None
    p99: float | None


def figures(before: Reading, after: Reading) -> Figures:
    seconds = max(after.at - before.at, 1e-9)
    requests = max(after.requests - before.requests, 0.0)
    errors = max(after.errors - before.errors, 0.0)
    window = {b: max(c - before.buckets.get(b, 0.0), 0.0) for b, c in after.buckets.items()}
    return Figures(
        rps=requests / seconds,
        error_ratio=errors / requests if requests else None,
        p50=quantile(0.5, window),
        p99=quantile(0.99, window),
    )


@dataclass(frozen=True)
class Target:
    service: str
    instance: str
    metrics_url: str  # the app's page at its sidecar's metrics listener


@dataclass(frozen=True)
class Row:
    service: str
    instance: str
    health: str  # the registry's status, or "unreachable" when its figures could not be read
    figures: Figures | None  # None until two readings


class Registry:
    """What the registry says of the mesh, read as the operator (mTLS)."""

    def __init__(self, url: str, context: ssl.SSLContext) -> None:
        self._client = httpx.Client(
            base_url=url, verify=context, trust_env=False, timeout=SCRAPE_TIMEOUT_SECONDS
        )

    def targets(self) -> list[Target]:
        groups = self._client.get("/api/registry/scrape-targets").raise_for_status().json()
        return [
            Target(
                g["labels"]["service"],
                g["labels"]["instance_id"],
                f"http://{g['targets'][0]}{g['labels']['__metrics_path__']}",
            )
            for g in groups
            if g["labels"]["source"] == "app" and g["labels"]["service"] != "registry"
        ]

    def statuses(self) -> dict[str, str]:
        services = self._client.get("/api/registry/services").raise_for_status().json()
        return {i["id"]: i["status"] for s in services for i in s["instances"]}

    def close(self) -> None:
        self._client.close()


class Top:
    """Readings kept between refreshes; `refresh` reads everything once and gives the rows."""

    def __init__(self, registry: Registry, clock: Callable[[], float] = time.monotonic) -> None:
        self._registry, self._clock = registry, clock
        self._last: dict[str, Reading] = {}
        self._scraper = httpx.Client(trust_env=False, timeout=SCRAPE_TIMEOUT_SECONDS)

    def refresh(self) -> list[Row]:
        targets, statuses = self._registry.targets(), self._registry.statuses()
        rows, seen = [], {}
        for target in sorted(targets, key=lambda t: (t.service, t.instance)):
            reading = self._read(target)
            health = statuses.get(target.instance, "gone")
            if reading is None:
                rows.append(Row(target.service, target.instance, "unreachable", None))
                continue
            before = self._last.get(target.instance)
            seen[target.instance] = reading
            shown = figures(before, reading) if before is not None else None
            rows.append(Row(target.service, target.instance, health, shown))
        self._last = seen
        return rows

    def _read(self, target: Target) -> Reading | None:
        try:
            answer = self._scraper.get(target.metrics_url)
        except httpx.HTTPError:
            return None
        if answer.status_code != 200:
            return None
        return reading_of(answer.text, self._clock())

    def close(self) -> None:
        self._scraper.close()
        self._registry.close()


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


HEALTH_STYLES = {"SERVING": "green", "NOT_SERVING": "red", "DRAINING": "yellow"}


def table(rows: Iterable[Row]) -> Table:
    shown = Table(title="capsure-mesh: instances (from the registry), figures of the last second")
    for column in ("SERVICE", "INSTANCE", "HEALTH", "RPS", "ERRORS", "P50", "P99"):
        shown.add_column(column, justify="left" if column in ("SERVICE", "INSTANCE") else "right")
    for row in rows:
        style = HEALTH_STYLES.get(row.health, "red")
        health = f"[{style}]{row.health}[/{style}]"
        if row.figures is None:
            shown.add_row(row.service, row.instance, health, "-", "-", "-", "-")
            continue
        f = row.figures
        errors = "-" if f.error_ratio is None else f"{f.error_ratio:.1%}"
        shown.add_row(
            row.service, row.instance, health, f"{f.rps:.1f}", errors, _ms(f.p50), _ms(f.p99)
        )
    return shown


def watch(top: Top, interval: float, iterations: int, console: Console | None = None) -> None:
    """Refresh every `interval` seconds, `iterations` times (0: until interrupted)."""
    console = console or Console()
    done = 0
    with Live(table(top.refresh()), console=console, auto_refresh=False) as live:
        while iterations == 0 or done < iterations:
            time.sleep(interval)
            live.update(table(top.refresh()), refresh=True)
            done += 1
