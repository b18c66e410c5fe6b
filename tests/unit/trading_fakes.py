"""In-memory stand-ins for the trading service's ports and its consumers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from uuid import UUID

from services.common.outbox import InMemoryOutboxStore, OutboxMessage
from services.trading.domain.ticks import MarketDataTick


class InMemoryTickRepository:
    def __init__(self) -> None:
        self.ticks: dict[UUID, MarketDataTick] = {}

    async def add(self, tick: MarketDataTick) -> None:
        self.ticks[tick.id] = tick

    async def add_many(self, ticks: Sequence[MarketDataTick]) -> None:
        for tick in ticks:
            self.ticks[tick.id] = tick

    async def list_recent(self, asset_symbol: str, *, limit: int) -> Sequence[MarketDataTick]:
        mine = [t for t in self.ticks.values() if t.asset_symbol == asset_symbol]
        mine.sort(key=lambda t: (t.timestamp, t.received_at), reverse=True)
        return mine[:limit]


class RecordingTransaction:
    """A unit of work that records what was written inside it (fakes have no rollback)."""

    def __init__(self, repo: InMemoryTickRepository, outbox: InMemoryOutboxStore) -> None:
        self._repo = repo
        self._outbox = outbox
        self.commits: list[tuple[int, int]] = []  # (ticks, messages) written per transaction

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[None]:
        ticks, messages = len(self._repo.ticks), len(self._outbox.messages)
        yield
        self.commits.append((len(self._repo.ticks) - ticks, len(self._outbox.messages) - messages))


class FakeConsumer:
    """A delivery function: takes batches unless it is down; refuses ticks by id."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []  # tick ids per call
        self.received: list[str] = []  # tick ids it took, in order, duplicates included
        self.down: Exception | None = None
        self.refuse: set[str] = set()

    async def __call__(self, batch: Sequence[OutboxMessage]) -> dict[int, str]:
        self.batches.append([m.payload["id"] for m in batch])
        if self.down is not None:
            raise self.down
        refused = {m.id: "invalid" for m in batch if m.payload["id"] in self.refuse}
        self.received += [m.payload["id"] for m in batch if m.id not in refused]
        return refused
