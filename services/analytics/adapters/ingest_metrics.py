"""Ticks ingested, in the app's metrics: `capsure_ticks_ingested_total{service, outcome}`,
outcome `stored`, `duplicate` (its source_id was kept already) or `refused` (invalid, from the
future, or in a batch refused whole)."""

from __future__ import annotations

from prometheus_client import Counter

from services.common.metrics import AppMetrics


class TickIngestCounter:
    """The use cases' IngestCounter, writing to `metrics`' registry."""

    def __init__(self, metrics: AppMetrics) -> None:
        counter = Counter(
            "capsure_ticks_ingested",
            "Market data ticks received, by what became of them.",
            ("service", "outcome"),
            registry=metrics.registry,
        )
        outcomes = ("stored", "duplicate", "refused")
        self._stored, self._duplicate, self._refused = (
            counter.labels(metrics.service, outcome) for outcome in outcomes
        )

    def __call__(self, stored: int, duplicates: int, refused: int) -> None:
        if stored:
            self._stored.inc(stored)
        if duplicates:
            self._duplicate.inc(duplicates)
        if refused:
            self._refused.inc(refused)
