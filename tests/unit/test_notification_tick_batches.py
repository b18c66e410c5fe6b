"""A batch of price ticks does what the same ticks sent one by one would: the same outcome for
each, the same alerts fired once, the same last prices; refused ticks leave the rest applied."""

import asyncio
import itertools
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.market_data import MAX_TIMESTAMP_MS
from services.notification.bootstrap import build_deps
from services.notification.domain.alerts import Direction
from services.notification.domain.errors import TickContention
from services.notification.domain.prices import PriceTick, TickOutcome
from services.notification.mappers import batch_outcome_to_contract, batch_tick_from_contract
from services.notification.service_layer import alerts, ticks
from services.notification.service_layer.deps import NotificationDeps
from services.notification.service_layer.ticks import TickRefused, TickResult
from tests.support.clock import FakeClock
from tests.unit.notification_fakes import FakeDatabase

pytestmark = pytest.mark.unit

USERS = (UUID(int=1), UUID(int=2))
SYMBOLS = ("ETH-USD", "BTC")


def fresh() -> tuple[FakeDatabase, NotificationDeps]:
    """A database and the use cases' deps, ids counted from 1: two runs creating the same
    alerts in the same order give them the same ids."""
    db = FakeDatabase()
    ids = itertools.count(1)
    return db, build_deps(
        db.notifications,
        db.alerts,
        db.prices,
        clock=FakeClock(),
        new_id=lambda: UUID(int=next(ids)),
    )


def described(outcome: ticks.BatchOutcome) -> tuple[object, ...]:
    if isinstance(outcome, TickRefused):
        return ("refused",)
    return (outcome.outcome, outcome.previous_price, outcome.alerts_fired)


def state(db: FakeDatabase) -> tuple[object, ...]:
    """What a client can see: last prices, each alert's status, each user's notifications (ids
    of stored rows differ between two runs; the events they carry do not)."""
    return (
        dict(db.store.prices),
        {a.id: (a.armed, a.fired_price) for a in db.store.alerts.values()},
        sorted((str(n.user_id), str(n.event.event_id)) for n in db.store.notifications.values()),
    )


async def arm(deps: NotificationDeps, plan: list[tuple[int, str, str, float]]) -> None:
    for user, symbol, direction, threshold in plan:
        await alerts.create_alert(
            deps,
            USERS[user],
            asset_symbol=symbol,
            direction=Direction(direction),
            threshold=threshold,
        )


ALERTS = st.lists(
    st.tuples(
        st.integers(0, 1),
        st.sampled_from(SYMBOLS),
        st.sampled_from(["above", "below"]),
        st.sampled_from([95.0, 100.0, 105.0, 110.0]),
    ),
    max_size=8,
)
TICKS = st.lists(
    st.builds(
        PriceTick,
        st.sampled_from(SYMBOLS),
        st.sampled_from([90.0, 95.0, 100.0, 104.0, 110.0, 120.0]),
        st.integers(1, 12),  # few timestamps: duplicates and stale ticks happen
        st.sampled_from([None, "a", "b"]),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(alert_plan=ALERTS, before=TICKS, batch=TICKS)
def test_a_batch_does_what_its_ticks_sent_one_by_one_do(alert_plan, before, batch):
    async def scenario() -> None:
        one_db, one = fresh()
        batch_db, batched = fresh()
        for deps in (one, batched):
            await arm(deps, alert_plan)
            for tick in before:  # an asset's history from earlier single ticks
                await ticks.submit_price_tick(deps, tick)
        singles = [await ticks.submit_price_tick(one, tick) for tick in batch]
        together = await ticks.submit_price_tick_batch(batched, batch)
        assert [described(o) for o in together] == [described(o) for o in singles]
        assert [o.tick for o in together if isinstance(o, TickResult)] == batch
        assert state(batch_db) == state(one_db)

    asyncio.run(scenario())


async def test_an_alert_crossed_twice_in_one_batch_fires_once() -> None:
    db, deps = fresh()
    await arm(deps, [(0, "ETH-USD", "above", 100.0)])
    await ticks.submit_price_tick(deps, PriceTick("ETH-USD", 90.0, 1))
    up, down, up_again = (
        PriceTick("ETH-USD", 101.0, 2),
        PriceTick("ETH-USD", 90.0, 3),
        PriceTick("ETH-USD", 102.0, 4),
    )
    results = await ticks.submit_price_tick_batch(deps, [up, down, up_again])
    assert [described(r) for r in results] == [
        (TickOutcome.APPLIED, 90.0, 1),
        (TickOutcome.APPLIED, 101.0, 0),
        (TickOutcome.APPLIED, 90.0, 0),
    ]
    assert len(db.store.notifications) == 1
    assert db.store.prices["ETH-USD"] == up_again


async def test_refused_ticks_are_answered_in_place_and_the_rest_applied() -> None:
    db, deps = fresh()
    future = PriceTick("ETH-USD", 1.0, MAX_TIMESTAMP_MS)
    malformed = batch_tick_from_contract({"assetSymbol": "eth usd", "price": 1.0, "timestamp": 1})
    assert isinstance(malformed, TickRefused) and "assetSymbol" in malformed.problems[0]
    good = PriceTick("ETH-USD", 100.0, 5)
    results = await ticks.submit_price_tick_batch(deps, [future, malformed, good])
    answers = [batch_outcome_to_contract(r) for r in results]
    assert answers[0]["outcome"] == "refused" and "ahead of this server's clock" in str(answers[0])
    assert answers[1] == {"outcome": "refused", "problems": list(malformed.problems)}
    assert answers[2] == {"outcome": "applied", "previousPrice": None, "alertsFired": 0}
    assert db.store.prices == {"ETH-USD": good}


async def test_an_asset_that_loses_a_race_is_planned_again_from_the_winner() -> None:
    db, deps = fresh()
    await arm(deps, [(0, "ETH-USD", "above", 100.0)])
    await ticks.submit_price_tick(deps, PriceTick("ETH-USD", 90.0, 1))
    # Another instance applies 110 at t=2 between the batch's read and its write: that tick
    # is the crossing, and the batch's 120 at t=3 crosses nothing from there.
    db.prices.racing_ticks.append(PriceTick("ETH-USD", 110.0, 2))
    (result,) = await ticks.submit_price_tick_batch(deps, [PriceTick("ETH-USD", 120.0, 3)])
    assert described(result) == (TickOutcome.APPLIED, 110.0, 0)
    assert db.store.prices["ETH-USD"].price == 120.0


async def test_contention_on_one_asset_keeps_the_assets_applied_before_it() -> None:
    db, deps = fresh()
    await ticks.submit_price_tick(deps, PriceTick("ETH-USD", 90.0, 1))
    btc = PriceTick("BTC", 10.0, 1)
    # One racer per apply: another asset's during BTC's (no race), then ETH-USD's each time.
    db.prices.racing_ticks.append(PriceTick("SOL", 1.0, 1))
    db.prices.racing_ticks.extend(PriceTick("ETH-USD", 90.0 + i, 2 + i) for i in range(20))
    with pytest.raises(TickContention):
        await ticks.submit_price_tick_batch(deps, [btc, PriceTick("ETH-USD", 200.0, 10_000)])
    assert db.store.prices["BTC"] == btc
    assert db.store.prices["ETH-USD"].price != 200.0
