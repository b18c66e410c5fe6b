"""What the trading use cases need from the outside world."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from services.trading.domain.model import MarketDataTick


class TickRepository(Protocol):
    async def add(self, tick: MarketDataTick) -> None: ...

    async def list_recent(self, asset_symbol: str, *, limit: int) -> Sequence[MarketDataTick]:
        """Newest first: by timestamp, then by the time trading received it."""
        ...


class Outbox(Protocol):
    async def add(self, topic: str, payload: dict[str, Any]) -> None:
        """Queue a message for delivery, in the current transaction."""
        ...


class UnitOfWork(Protocol):
    def __call__(self) -> AbstractAsyncContextManager[Any]:
        """One transaction: everything written inside commits or rolls back together."""
        ...
