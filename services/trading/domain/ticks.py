"""Market data ticks as trading accepts them. Pure Python: no framework, no database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.common import market_data
from services.trading.domain.errors import InvalidTick


def tick_problems(asset_symbol: object, price: object, timestamp: object) -> tuple[str, ...]:
    """Every rule a tick breaks, named as in the REST contract; empty when it is valid."""
    return tuple(
        market_data.tick_problems(asset_symbol, price, timestamp, symbol_field="assetSymbol")
    )


@dataclass(frozen=True)
class MarketDataTick:
    """An accepted tick; it cannot exist unless it is valid."""

    id: UUID  # also its source_id at analytics: a retried forward is counted once there
    asset_symbol: str
    price: float
    timestamp: int  # Unix time in milliseconds
    received_at: datetime
    quantity: float = 0.0  # traded amount; 0 is a quote, not a trade

    def __post_init__(self) -> None:
        problems = tick_problems(self.asset_symbol, self.price, self.timestamp)
        if not market_data.is_valid_quantity(self.quantity):
            problems += ("quantity",)
        if problems:
            raise InvalidTick(problems)
        # JSON has one number type: 42 is a valid price, kept as the double it stands for.
        if type(self.price) is not float:
            object.__setattr__(self, "price", float(self.price))
        if type(self.quantity) is not float:
            object.__setattr__(self, "quantity", float(self.quantity))
