"""In-memory stand-ins for the trading service's ports."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from services.trading.domain.model import MarketDataTick


class InMemoryTickRepository:
    def __init__(self) -> None:
        self.ticks: dict[UUID, MarketDataTick] = {}
        self.removed: list[UUID] = []
        self.fail_removal = False  # simulates the database failing during compensation

    async def add(self, tick: MarketDataTick) -> None:
        self.ticks[tick.id] = tick

    async def remove(self, tick_id: UUID) -> None:
        if self.fail_removal:
            raise ConnectionError("database went away")
        self.removed.append(tick_id)
        self.ticks.pop(tick_id, None)

    async def list_recent(self, asset_symbol: str, *, limit: int) -> Sequence[MarketDataTick]:
        mine = [t for t in self.ticks.values() if t.asset_symbol == asset_symbol]
        mine.sort(key=lambda t: (t.timestamp, t.received_at), reverse=True)
        return mine[:limit]


class FakeAnalytics:
    """MarketDataSink that records what it got, and what trading had stored at that moment."""

    def __init__(self, repo: InMemoryTickRepository) -> None:
        self._repo = repo
        self.delivered: list[MarketDataTick] = []
        self.stored_when_sent: list[bool] = []
        self.failure: BaseException | None = None

    async def send(self, tick: MarketDataTick) -> None:
        self.stored_when_sent.append(tick.id in self._repo.ticks)
        if self.failure is not None:
            raise self.failure
        self.delivered.append(tick)
