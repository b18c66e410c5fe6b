"""Market data ticks and the statistics drawn from them. Pure Python: no framework, no database."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.analytics.domain.errors import InvalidTick
from services.common import market_data
from services.common.quoting import quoted

MAX_SOURCE_ID_LENGTH = 128
MAX_QUANTITY = market_data.MAX_QUANTITY


def tick_problems(
    asset_symbol: object,
    price: object,
    timestamp: object,
    source_id: object,
    quantity: object = 0.0,
) -> tuple[str, ...]:
    """Every rule a tick breaks, in words a client can act on; empty when it is valid."""
    problems = market_data.tick_problems(
        asset_symbol, price, timestamp, symbol_field="asset_symbol"
    )
    if source_id is not None and (
        not isinstance(source_id, str) or not 0 < len(source_id) <= MAX_SOURCE_ID_LENGTH
    ):
        problems.append(f"source_id must be empty or 1-{MAX_SOURCE_ID_LENGTH} characters long")
    if not market_data.is_valid_quantity(quantity):
        problems.append(
            f"quantity {quoted(quantity)} must be a finite number >= 0 and <= {MAX_QUANTITY:.0e} "
            "(0: a price quote, not a trade)"
        )
    return tuple(problems)


@dataclass(frozen=True)
class MarketTick:
    """A price of an asset at a moment, and the quantity traded at it (0 for a quote);
    it cannot exist unless it is valid."""

    asset_symbol: str
    price: float
    timestamp: int  # Unix time in milliseconds
    source_id: str | None = None  # the tick's id at its source: a repeat is counted once
    quantity: float = 0.0

    def __post_init__(self) -> None:
        problems = tick_problems(
            self.asset_symbol, self.price, self.timestamp, self.source_id, self.quantity
        )
        if problems:
            raise InvalidTick(problems)

    @property
    def is_trade(self) -> bool:
        return self.quantity > 0

    @property
    def notional(self) -> float:
        """Price times quantity: what the trade was worth (0 for a quote)."""
        return self.price * self.quantity


@dataclass(frozen=True)
class ReceivedTick:
    """A tick as analytics keeps it."""

    id: UUID
    tick: MarketTick
    received_at: datetime

    @property
    def recency(self) -> tuple[int, datetime, UUID]:
        """The latest tick has the newest timestamp; among equal ones, the last received; the
        id only makes the order total (the database orders by the same three)."""
        return (self.tick.timestamp, self.received_at, self.id)


@dataclass(frozen=True)
class AssetStats:
    asset_symbol: str
    count: int
    min: float
    max: float
    mean: float
    last: float  # price of the latest tick (see ReceivedTick.recency)
    last_timestamp: int


def summarise(ticks: Sequence[ReceivedTick]) -> AssetStats:
    """The statistics of one asset's ticks; the reference the SQL adapter must agree with."""
    if not ticks:
        raise ValueError("no ticks to summarise")
    prices = [t.tick.price for t in ticks]
    latest = max(ticks, key=lambda t: t.recency)
    return AssetStats(
        asset_symbol=latest.tick.asset_symbol,
        count=len(prices),
        min=min(prices),
        max=max(prices),
        mean=math.fsum(prices) / len(prices),
        last=latest.tick.price,
        last_timestamp=latest.tick.timestamp,
    )


@dataclass(frozen=True)
class IngestSummary:
    """The outcome of one stream of ticks."""

    accepted: int  # kept, duplicates by source_id included (they were kept before)
    rejected: int  # refused as invalid

    @property
    def success(self) -> bool:
        return self.rejected == 0


@dataclass(frozen=True)
class BatchOutcome:
    """What became of one batch of ticks (all of it was taken)."""

    stored: int  # newly kept
    duplicates: int  # their source_id was kept already (or twice in the batch): kept once
