"""The price-tick use cases: move the asset's last price and fire the alerts it crosses, for
one tick or for a feed's batch (applied as if sent one by one, one transaction per asset)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.common import market_data
from services.notification.domain.alerts import PriceAlert, crossed
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
            return TickResult(tick, outcome, previous, len(fired))
    raise TickContention(tick.asset_symbol)


async def _firings(deps: NotificationDeps, tick: PriceTick, previous: float | None) -> list[Firing]:
    if previous is None:
        return []
    low, high = sorted((previous, tick.price))
    candidates = await deps.alerts.armed_between(tick.asset_symbol, low, high)
    return _fire_crossed(deps, candidates, tick, previous)


def _fire_crossed(
    deps: NotificationDeps, alerts: Sequence[PriceAlert], tick: PriceTick, previous: float
) -> list[Firing]:
    now = deps.clock()
    return [
        Firing(
            alert=alert.fired(tick.price, at=now),
            notification=Notification(
                id=deps.new_id(), event=alert.event_for(tick, previous), created_at=now
            ),
        )
        for alert in crossed(alerts, previous, tick.price)
    ]


@dataclass(frozen=True)
class TickRefused:
    """A tick of a batch that cannot be taken (outside the tick rules, or from the future):
    the rest of the batch is applied without it."""

    problems: tuple[str, ...]


BatchOutcome = TickResult | TickRefused


async def submit_price_tick_batch(
    deps: NotificationDeps, ticks: Sequence[PriceTick | TickRefused]
) -> list[BatchOutcome]:
    """Each tick's outcome as if the ticks had been sent one by one, in this order (a tick
    already refused while parsing stays refused). One asset's ticks are applied together: one
    read of its last tick and of the alerts its moves may cross, one transaction. Raises
    TickContention when other writers keep moving one asset's price; assets handled before it
    stay applied (a retry finds their ticks duplicate or stale)."""
    now = deps.clock()
    results: list[BatchOutcome | None] = [None] * len(ticks)
    runs: dict[str, list[int]] = {}
    for position, tick in enumerate(ticks):
        if isinstance(tick, TickRefused):
            results[position] = tick
        elif problems := market_data.future_problems(tick.timestamp, now=now):
            results[position] = TickRefused(tuple(problems))
        else:
            runs.setdefault(tick.asset_symbol, []).append(position)
    for positions in runs.values():
        run = [ticks[p] for p in positions]
        outcomes = await _apply_run(deps, [t for t in run if isinstance(t, PriceTick)])
        for position, outcome in zip(positions, outcomes, strict=True):
            results[position] = outcome
    return [r for r in results if r is not None]


@dataclass(frozen=True)
class _Planned:
    tick: PriceTick
    outcome: TickOutcome
    previous_price: float | None


def _plan(run: Sequence[PriceTick], last: PriceTick | None) -> list[_Planned]:
    """The outcome of each tick of one asset in turn, the applied ones moving the price."""
    planned = []
    for tick in run:
        outcome = outcome_of(tick, last)
        planned.append(_Planned(tick, outcome, last.price if last else None))
        if outcome is TickOutcome.APPLIED:
            last = tick
    return planned


async def _apply_run(deps: NotificationDeps, run: Sequence[PriceTick]) -> list[TickResult]:
    asset_symbol = run[0].asset_symbol
    for _ in range(MAX_ATTEMPTS):
        last = await deps.prices.last_tick(asset_symbol)
        planned = _plan(run, last)
        applied = [p for p in planned if p.outcome is TickOutcome.APPLIED]
        if not applied:
            return [TickResult(p.tick, p.outcome, p.previous_price, 0) for p in planned]
        firings = await _run_firings(deps, asset_symbol, planned)
        disarmed = await deps.prices.apply(
            applied[-1].tick, previous=last, firings=[f for fs in firings for f in fs]
        )
        if disarmed is None:
            continue
        return [
            TickResult(p.tick, p.outcome, p.previous_price, sum(f.alert.id in disarmed for f in fs))
            for p, fs in zip(planned, firings, strict=True)
        ]
    raise TickContention(asset_symbol)


async def _run_firings(
    deps: NotificationDeps, asset_symbol: str, planned: Sequence[_Planned]
) -> list[list[Firing]]:
    """The alerts each planned tick fires: one read of the armed alerts any move of the run
    may cross, then each move in turn against those still armed."""
    moves = [
        (n, p.tick, p.previous_price)
        for n, p in enumerate(planned)
        if p.outcome is TickOutcome.APPLIED and p.previous_price is not None
    ]
    firings: list[list[Firing]] = [[] for _ in planned]
    if not moves:
        return firings
    prices = [price for _, tick, previous in moves for price in (tick.price, previous)]
    armed = {
        a.id: a for a in await deps.alerts.armed_between(asset_symbol, min(prices), max(prices))
    }
    for n, tick, previous in moves:
        firings[n] = _fire_crossed(deps, list(armed.values()), tick, previous)
        for firing in firings[n]:
            del armed[firing.alert.id]  # one-shot: a later move of the run cannot fire it again
    return firings
