"""Price ticks and the last price of each asset, which the crossing rule compares against.

Per asset, ticks are applied in timestamp order only: a tick no newer than the last applied
one changes nothing (a retried tick is the same tick again: `duplicate`; anything else is
`stale`). This makes retries harmless and keeps "the previous price" well defined when ticks
arrive out of order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from services.common import market_data
from services.notification.domain.errors import InvalidTick

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_SOURCE_ID = 128


class TickOutcome(StrEnum):
    APPLIED = "applied"  # the asset's new last price; alerts it crossed have fired
    DUPLICATE = "duplicate"  # the last applied tick, sent again: nothing happened
    STALE = "stale"  # older than the last applied tick (or as old): nothing happened


@dataclass(frozen=True)
class PriceTick:
    asset_symbol: str
    price: float
    timestamp: int  # Unix time in milliseconds
    source_id: str | None = None  # the publisher's id for the tick, if it has one

    def __post_init__(self) -> None:
        problems = market_data.tick_problems(
            self.asset_symbol, self.price, self.timestamp, symbol_field="assetSymbol"
        )
        if self.source_id is not None and not 0 < len(self.source_id) <= MAX_SOURCE_ID:
            problems.append(f"sourceId must be 1 to {MAX_SOURCE_ID} characters")
        if problems:
            raise InvalidTick(tuple(problems))
        object.__setattr__(self, "price", float(self.price))

    @property
    def occurred_at(self) -> datetime:
        return EPOCH + timedelta(milliseconds=self.timestamp)


def outcome_of(tick: PriceTick, last: PriceTick | None) -> TickOutcome:
    """What `tick` does to an asset whose last applied tick is `last` (None: never priced)."""
    if last is None or tick.timestamp > last.timestamp:
        return TickOutcome.APPLIED
    return TickOutcome.DUPLICATE if tick == last else TickOutcome.STALE
