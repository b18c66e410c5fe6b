"""The price-tick use case: move the asset's last price and fire the alerts it crosses."""

from __future__ import annotations

from dataclasses import dataclass

from services.common import market_data
from services.notification.domain.alerts import crossed
from services.notification.domain.errors import TickContention
from services.notification.domain.notifications import Notification
from services.notification.domain.prices import PriceTick, TickOutcome, outcome_of
from services.notification.service_layer.deps import NotificationDeps
from services.notification.service_layer.ports import Firing

# Each lost race means another tick of the asset was applied meanwhile; a few suffice.
MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class TickResult:
    tick: PriceTick
    outcome: TickOutcome
    previous_price: float | None  # the asset's last price before this tick, if any
    alerts_fired: int


async def submit_price_tick(deps: NotificationDeps, tick: PriceTick) -> TickResult:
    """Apply the tick if it is the asset's newest, firing (and disarming) every armed alert it
    crosses, each with one notification. Concurrent ticks of one asset are serialised by a
    compare-and-set on its last tick: the loser reads again and re-evaluates.

    A tick stamped too far in the future is refused (TickFromTheFuture): as the asset's last
    tick it would make every real tick after it `stale`, freezing the asset's alerts."""
    market_data.refuse_ticks_from_the_future(tick.timestamp, now=deps.clock())
    for _ in range(MAX_ATTEMPTS):
        last = await deps.prices.last_tick(tick.asset_symbol)
        previous = last.price if last else None
        outcome = outcome_of(tick, last)
        if outcome is not TickOutcome.APPLIED:
            return TickResult(tick, outcome, previous, 0)
        firings = await _firings(deps, tick, previous)
        fired = await deps.prices.apply(tick, previous=last, firings=firings)
        if fired is not None:
            return TickResult(tick, outcome, previous, fired)
    raise TickContention(tick.asset_symbol)


async def _firings(deps: NotificationDeps, tick: PriceTick, previous: float | None) -> list[Firing]:
    if previous is None:
        return []
    low, high = sorted((previous, tick.price))
    candidates = await deps.alerts.armed_between(tick.asset_symbol, low, high)
    now = deps.clock()
    return [
        Firing(
            alert=alert.fired(tick.price, at=now),
            notification=Notification(
                id=deps.new_id(), event=alert.event_for(tick, previous), created_at=now
            ),
        )
        for alert in crossed(candidates, previous, tick.price)
    ]
