"""Price alerts and the crossing rule. Pure Python.

The rule: an alert fires on the tick whose price reaches its threshold from the other side.

- `above` fires when previous < threshold <= price,
- `below` fires when previous > threshold >= price,

where `previous` is the asset's last applied price before this tick (see prices.py). Touching
the threshold counts as reaching it; staying at or beyond it does not fire again; with no
previous price nothing fires (a crossing needs a before). An alert created while the price is
already beyond its threshold waits for the price to come back and cross it.

Alerts are one-shot: the firing tick disarms the alert (`fired_at`, `fired_price`), and it never
fires again. To be told again, a user creates a new alert."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from services.common import market_data
from services.common.quoting import quoted
from services.notification.domain.errors import InvalidAlert
from services.notification.domain.notifications import EventType, NotificationEvent
from services.notification.domain.prices import PriceTick

# Bounds the work one tick can cause per user, and what a user can store.
MAX_ARMED_ALERTS_PER_USER = 100
# uuid5 namespace of the events alerts raise: one event id per (alert, tick).
ALERT_EVENTS = uuid.UUID("0b6f1f8e-5a2c-4d3e-9f41-7c2a6e1d8b90")


class Direction(StrEnum):
    ABOVE = "above"
    BELOW = "below"


def alert_problems(asset_symbol: object, threshold: object) -> tuple[str, ...]:
    problems = []
    if not isinstance(asset_symbol, str) or not market_data.ASSET_SYMBOL.fullmatch(asset_symbol):
        problems.append(
            f"assetSymbol {quoted(asset_symbol)} must be a ticker or a pair of tickers "
            "(1-12 of A-Z 0-9, joined by a dash: BTC, ETH-USD)"
        )
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not (math.isfinite(threshold) and 0 < threshold <= market_data.MAX_PRICE)
    ):
        problems.append(
            f"threshold {quoted(threshold)} must be a finite number > 0 and "
            f"<= {market_data.MAX_PRICE:.0e}"
        )
    return tuple(problems)


@dataclass(frozen=True)
class PriceAlert:
    id: UUID
    user_id: UUID
    asset_symbol: str
    direction: Direction
    threshold: float
    created_at: datetime
    fired_at: datetime | None = None
    fired_price: float | None = None

    def __post_init__(self) -> None:
        problems = alert_problems(self.asset_symbol, self.threshold)
        if problems:
            raise InvalidAlert(problems)
        object.__setattr__(self, "direction", Direction(self.direction))
        object.__setattr__(self, "threshold", float(self.threshold))

    @property
    def armed(self) -> bool:
        return self.fired_at is None

    def crossed_by(self, previous: float, price: float) -> bool:
        """Whether moving from `previous` to `price` crosses this alert's threshold."""
        if self.direction is Direction.ABOVE:
            return previous < self.threshold <= price
        return previous > self.threshold >= price

    def fired(self, price: float, at: datetime) -> PriceAlert:
        return replace(self, fired_at=at, fired_price=price)

    def event_for(self, tick: PriceTick, previous: float) -> NotificationEvent:
        """The event telling the alert's owner that `tick` crossed it. Its id is the same for
        the same (alert, tick), so delivering it again stores nothing new."""
        return NotificationEvent(
            event_id=uuid.uuid5(ALERT_EVENTS, f"{self.id}/{tick.timestamp}"),
            type=EventType.PRICE_ALERT,
            user_id=self.user_id,
            occurred_at=tick.occurred_at,
            data={
                "alertId": str(self.id),
                "assetSymbol": self.asset_symbol,
                "direction": self.direction.value,
                "threshold": self.threshold,
                "price": tick.price,
                "previousPrice": previous,
            },
        )


def crossed(alerts: Sequence[PriceAlert], previous: float, price: float) -> list[PriceAlert]:
    """The armed alerts among `alerts` that moving from `previous` to `price` fires."""
    return [a for a in alerts if a.armed and a.crossed_by(previous, price)]
