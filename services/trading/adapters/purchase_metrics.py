"""Purchases by the state of their saga, in trading's metrics:
`capsure_purchases{service, state}` (pending: money held and the NFT's transfer unconfirmed;
completed; failed: compensated). Read from the database before each scrape: a pending count
that grows and stays is a saga stuck on nft."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.common.metrics import AppMetrics
from services.trading.domain.purchase import PurchaseStatus

CountByStatus = Callable[[], Awaitable[dict[PurchaseStatus, int]]]


class PurchaseStateGauge(Collector):
    def __init__(self, metrics: AppMetrics, count_by_status: CountByStatus) -> None:
        self._service, self._count = metrics.service, count_by_status
        self._counts: dict[PurchaseStatus, int] = {}
        metrics.registry.register(self)
        metrics.refresh_before_scrape(self.refresh)

    async def refresh(self) -> None:
        self._counts = await self._count()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        purchases = GaugeMetricFamily(
            "capsure_purchases",
            "Purchases by the state of their saga.",
            labels=("service", "state"),
        )
        for state in PurchaseStatus:
            purchases.add_metric((self._service, state.value), self._counts.get(state, 0))
        yield purchases
