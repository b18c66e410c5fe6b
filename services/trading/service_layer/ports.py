"""What the trading use cases need from the outside world."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from services.trading.domain.model import MarketDataTick


class TickRepository(Protocol):
    async def add(self, tick: MarketDataTick) -> None: ...

    async def remove(self, tick_id: UUID) -> None:
        """Forget a tick (no error when it is not there)."""
        ...

    async def list_recent(self, asset_symbol: str, *, limit: int) -> Sequence[MarketDataTick]:
        """Newest first: by timestamp, then by the time trading received it."""
        ...


class MarketDataSink(Protocol):
    async def send(self, tick: MarketDataTick) -> None:
        """Deliver the tick to analytics; raises AnalyticsError when it was not taken."""
        ...
