"""An outbox's figures in its app's metrics, per topic (a topic is one consumer's queue:
`nft.events`, `analytics.ticks` …):

- `capsure_outbox_backlog{service, topic}`: messages queued, not yet delivered;
- `capsure_outbox_oldest_age_seconds{service, topic}`: how long the oldest of them has waited
  (0 when none): a consumer down or refusing shows here first;
- `capsure_outbox_parked_messages{service, topic}`: messages given up on, kept for an operator;
- `capsure_outbox_delivered_total`, `capsure_outbox_failed_deliveries_total` (batches the relay
  will retry) and `capsure_outbox_parkings_total{service, topic}`: what this instance's relay
  did.

The first three are read from the database before each scrape (one grouped query), so every
instance reports the shared outbox alike; the counters are the instance's own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from services.common.metrics import AppMetrics
from services.common.outbox import OutboxRelay, TopicBacklog


class OutboxMetrics(Collector):
    def __init__(
        self, metrics: AppMetrics, relay: OutboxRelay, clock: Callable[[], datetime]
    ) -> None:
        self._service, self._relay, self._clock = metrics.service, relay, clock
        self._backlog: dict[str, TopicBacklog] = {}
        self._read_at: datetime | None = None
        metrics.registry.register(self)
        metrics.refresh_before_scrape(self.refresh)

    async def refresh(self) -> None:
        self._backlog = await self._relay.store.backlog()
        self._read_at = self._clock()

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        labels = ("service", "topic")
        backlog = GaugeMetricFamily(
            "capsure_outbox_backlog", "Messages queued, not yet delivered.", labels=labels
        )
        age = GaugeMetricFamily(
            "capsure_outbox_oldest_age_seconds",
            "How long the oldest undelivered message has waited (0 when none).",
            labels=labels,
        )
        parked = GaugeMetricFamily(
            "capsure_outbox_parked_messages",
            "Messages given up on, kept for an operator.",
            labels=labels,
        )
        delivered = CounterMetricFamily(
            "capsure_outbox_delivered", "Messages this relay delivered.", labels=labels
        )
        failed = CounterMetricFamily(
            "capsure_outbox_failed_deliveries",
            "Batches this relay failed to deliver, to be retried.",
            labels=labels,
        )
        gave_up = CounterMetricFamily(
            "capsure_outbox_parkings", "Messages this relay parked.", labels=labels
        )
        for topic in self._relay.topics:
            key = (self._service, topic.name)
            known = self._backlog.get(topic.name, TopicBacklog())
            backlog.add_metric(key, known.pending)
            parked.add_metric(key, known.parked)
            age.add_metric(key, self._age(known))
            stats = self._relay.stats[topic.name]
            delivered.add_metric(key, stats.delivered)
            failed.add_metric(key, stats.failed_batches)
            gave_up.add_metric(key, stats.parked)
        yield from (backlog, age, parked, delivered, failed, gave_up)

    def _age(self, backlog: TopicBacklog) -> float:
        if backlog.oldest_pending_at is None or self._read_at is None:
            return 0.0
        return max((self._read_at - backlog.oldest_pending_at).total_seconds(), 0.0)
