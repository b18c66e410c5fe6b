"""Market data ticks as trading accepts them. Pure Python: no framework, no database."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.trading.domain.errors import InvalidTick

# fullmatch, never `$`: in Python `$` also matches before a trailing newline, and the
# contract's pattern is checked with re.search, so "BTC\n" gets this far.
ASSET_SYMBOL = re.compile(r"[A-Z0-9]{1,12}(-[A-Z0-9]{1,12})?")
MAX_PRICE = 1e12
MAX_TIMESTAMP_MS = 4_102_444_800_000  # 2100-01-01T00:00:00Z


def tick_problems(asset_symbol: object, price: object, timestamp: object) -> tuple[str, ...]:
    """Every rule a tick breaks, in words a client can act on; empty when it is valid."""
    problems = []
    if not isinstance(asset_symbol, str) or not ASSET_SYMBOL.fullmatch(asset_symbol):
        problems.append(
            f"assetSymbol {asset_symbol!r} must be a ticker or a pair of tickers "
            f"(1-12 of A-Z 0-9, joined by a dash: BTC, ETH-USD)"
        )
    if (
        isinstance(price, bool)
        or not isinstance(price, int | float)
        or not (math.isfinite(price) and 0 < price <= MAX_PRICE)
    ):
        problems.append(f"price {price!r} must be a finite number > 0 and <= {MAX_PRICE:.0e}")
    if (
        isinstance(timestamp, bool)
        or not isinstance(timestamp, int)
        or not 0 <= timestamp <= MAX_TIMESTAMP_MS
    ):
        problems.append(
            f"timestamp {timestamp!r} must be Unix time in milliseconds in [0, {MAX_TIMESTAMP_MS}]"
        )
    return tuple(problems)


@dataclass(frozen=True)
class MarketDataTick:
    """An accepted tick; it cannot exist unless it is valid."""

    id: UUID  # also its source_id at analytics: a retried forward is counted once there
    asset_symbol: str
    price: float
    timestamp: int  # Unix time in milliseconds
    received_at: datetime

    def __post_init__(self) -> None:
        problems = tick_problems(self.asset_symbol, self.price, self.timestamp)
        if problems:
            raise InvalidTick(problems)
        # JSON has one number type: 42 is a valid price, kept as the double it stands for.
        object.__setattr__(self, "price", float(self.price))
