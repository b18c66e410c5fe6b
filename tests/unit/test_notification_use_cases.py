"""The notification service's use cases, through its composition root with in-memory fakes."""

from uuid import UUID, uuid4

import pytest

from services.common.market_data import MAX_FUTURE_SKEW, MAX_TIMESTAMP_MS, TickFromTheFuture
from services.notification.bootstrap import build_deps
from services.notification.domain.alerts import MAX_ARMED_ALERTS_PER_USER, Direction
from services.notification.domain.errors import (
    AlertLimitReached,
    AlertNotFound,
    EventConflict,
    InvalidEvent,
    NotificationNotFound,
    TickContention,
)
from services.notification.domain.notifications import EventType, NotificationEvent
from services.notification.domain.prices import PriceTick, TickOutcome
from services.notification.service_layer import alerts, notifications, ticks
from services.notification.service_layer.deps import NotificationDeps
from services.notification.service_layer.ticks import MAX_ATTEMPTS
from tests.support.clock import FakeClock
from tests.unit.notification_fakes import FakeDatabase

pytestmark = pytest.mark.unit

ALICE, BOB = uuid4(), uuid4()


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def deps(db: FakeDatabase, clock: FakeClock) -> NotificationDeps:
    return build_deps(db.notifications, db.alerts, db.prices, clock=clock)


def an_event(user: UUID = ALICE, **changes) -> NotificationEvent:
    fields = {
        "event_id": uuid4(),
        "type": EventType.NFT_TRANSFERRED,
        "user_id": user,
        "occurred_at": FakeClock().now,
        "data": {"nftId": str(uuid4())},
    }
    return NotificationEvent(**{**fields, **changes})


async def mine(deps, user=ALICE, *, unread_only=False):
    return await deps.notifications.list_for(user, unread_only=unread_only, limit=100, offset=0)


# --- events in -----------------------------------------------------------------------------


async def test_an_event_is_delivered_once_however_often_it_is_published(deps, clock):
    event = an_event()
    first, created = await notifications.deliver_event(deps, event)
    assert created and first.event == event and first.created_at == clock.now
    clock.advance()
    again, created_again = await notifications.deliver_event(deps, event)
    assert (again, created_again) == (first, False)
    assert await mine(deps) == [first]


async def test_the_same_event_id_with_another_body_is_a_conflict(deps):
    event = an_event()
    await notifications.deliver_event(deps, event)
    for changed in ({"type": EventType.SALE_COMPLETED}, {"data": {}}):
        with pytest.raises(EventConflict):
            await notifications.deliver_event(deps, an_event(**{**vars(event), **changed}))
    assert len(await mine(deps)) == 1


async def test_a_batch_delivers_each_event_as_alone_and_reports_the_rest_in_place(deps):
    delivered_before, first = an_event(BOB), an_event()
    await notifications.deliver_event(deps, delivered_before)
    unreadable = InvalidEvent("occurredAt '...' is not a usable date-time")
    conflicting = an_event(BOB, event_id=delivered_before.event_id, data={})
    outcomes = await notifications.deliver_events(
        deps, [first, unreadable, conflicting, delivered_before]
    )
    [new] = await mine(deps)
    assert outcomes == [
        notifications.EventDelivered(notifications.EventOutcome.DELIVERED, new.id),
        unreadable,
        notifications.EventDelivered(notifications.EventOutcome.CONFLICT),
        notifications.EventDelivered(
            notifications.EventOutcome.DUPLICATE, (await mine(deps, BOB))[0].id
        ),
    ]


async def test_one_event_may_notify_several_users(deps):
    event = an_event(ALICE)
    _, for_alice = await notifications.deliver_event(deps, event)
    for_bob_too = an_event(**{**vars(event), "user_id": BOB})
    _, for_bob = await notifications.deliver_event(deps, for_bob_too)
    assert for_alice and for_bob
    assert len(await mine(deps, ALICE)) == len(await mine(deps, BOB)) == 1


async def test_a_repeat_answers_the_stored_notification_even_when_read(deps):
    event = an_event()
    first, _ = await notifications.deliver_event(deps, event)
    read = await notifications.acknowledge(deps, ALICE, first.id)
    again, created = await notifications.deliver_event(deps, event)
    assert (again, created) == (read, False)


# --- reading and acknowledging -------------------------------------------------------------


async def test_listing_is_newest_first_paginated_and_filters_unread(deps, clock):
    delivered = []
    for _ in range(5):
        delivered.append((await notifications.deliver_event(deps, an_event()))[0])
        clock.advance()
    await notifications.deliver_event(deps, an_event(BOB))
    newest_first = [n.id for n in reversed(delivered)]
    pages = [
        await notifications.notifications_view(
            deps, ALICE, unread_only=False, limit=2, offset=offset
        )
        for offset in (0, 2, 4)
    ]
    assert [n["id"] for page in pages for n in page] == [str(id_) for id_ in newest_first]
    await notifications.acknowledge(deps, ALICE, delivered[4].id)
    unread = await mine(deps, unread_only=True)
    assert [n.id for n in unread] == newest_first[1:]


async def test_acknowledging_is_idempotent_and_keeps_the_first_time(deps, clock):
    notification, _ = await notifications.deliver_event(deps, an_event())
    clock.advance()
    first = await notifications.acknowledge(deps, ALICE, notification.id)
    assert first.read_at == clock.now
    clock.advance()
    assert await notifications.acknowledge(deps, ALICE, notification.id) == first


async def test_nobody_reads_or_acknowledges_another_users_notifications(deps):
    notification, _ = await notifications.deliver_event(deps, an_event(ALICE))
    assert await mine(deps, BOB) == []
    with pytest.raises(NotificationNotFound):
        await notifications.acknowledge(deps, BOB, notification.id)
    assert (await mine(deps, ALICE))[0].read_at is None
    with pytest.raises(NotificationNotFound):
        await notifications.acknowledge(deps, ALICE, uuid4())


# --- alerts --------------------------------------------------------------------------------


async def an_alert(deps, user=ALICE, direction="above", threshold=100.0, symbol="ETH-USD"):
    return await alerts.create_alert(
        deps, user, asset_symbol=symbol, direction=Direction(direction), threshold=threshold
    )


async def test_alerts_are_listed_and_deleted_by_their_owner_only(deps, clock):
    first = await an_alert(deps)
    clock.advance()
    second = await an_alert(deps, direction="below", threshold=50)
    bobs = await an_alert(deps, BOB)
    listed = await alerts.list_alerts(deps, ALICE, limit=10, offset=0)
    assert [a.id for a in listed] == [second.id, first.id]
    with pytest.raises(AlertNotFound):
        await alerts.delete_alert(deps, ALICE, bobs.id)
    await alerts.delete_alert(deps, ALICE, first.id)
    assert [a.id for a in await alerts.list_alerts(deps, ALICE, limit=10, offset=0)] == [second.id]
    with pytest.raises(AlertNotFound):
        await alerts.delete_alert(deps, ALICE, first.id)
    assert [a.id for a in await alerts.list_alerts(deps, BOB, limit=10, offset=0)] == [bobs.id]


async def test_a_user_has_a_bounded_number_of_armed_alerts(deps, db):
    for _ in range(MAX_ARMED_ALERTS_PER_USER):
        await an_alert(deps)
    with pytest.raises(AlertLimitReached):
        await an_alert(deps)
    await an_alert(deps, BOB)  # per user
    # A fired alert no longer counts.
    await tick(deps, 90.0, 1)
    await tick(deps, 100.0, 2)
    assert await an_alert(deps)


# --- ticks and the crossing rule -----------------------------------------------------------


async def tick(deps, price: float, timestamp: int, symbol="ETH-USD", source=None):
    return await ticks.submit_price_tick(deps, PriceTick(symbol, price, timestamp, source))


async def test_the_first_tick_of_an_asset_fires_nothing(deps):
    await an_alert(deps, threshold=100)
    result = await tick(deps, 150.0, 1)
    assert (result.outcome, result.previous_price, result.alerts_fired) == (
        TickOutcome.APPLIED,
        None,
        0,
    )
    assert await mine(deps) == []


async def test_a_crossing_fires_each_crossed_alert_once_and_disarms_it(deps, clock):
    up = await an_alert(deps, threshold=100)
    down = await an_alert(deps, direction="below", threshold=80)
    bobs = await an_alert(deps, BOB, threshold=105)
    other_asset = await an_alert(deps, threshold=100, symbol="BTC")
    await tick(deps, 90.0, 1)
    clock.advance()
    result = await tick(deps, 105.0, 2)
    assert (result.previous_price, result.alerts_fired) == (90.0, 2)
    (alice_note,) = await mine(deps)
    (bob_note,) = await mine(deps, BOB)
    assert alice_note.event.type is EventType.PRICE_ALERT
    assert alice_note.event.data["alertId"] == str(up.id)
    assert bob_note.event.data["alertId"] == str(bobs.id)
    assert alice_note.event.occurred_at == PriceTick("ETH-USD", 105.0, 2).occurred_at
    stored = {a.id: a for a in await alerts.list_alerts(deps, ALICE, limit=10, offset=0)}
    assert (stored[up.id].armed, stored[up.id].fired_price, stored[up.id].fired_at) == (
        False,
        105.0,
        clock.now,
    )
    assert stored[down.id].armed and stored[other_asset.id].armed
    # Back below and up again: the fired alert stays quiet (one-shot); `down` fires now.
    clock.advance()
    await tick(deps, 70.0, 3)
    await tick(deps, 110.0, 4)
    assert [n.event.data["alertId"] for n in await mine(deps)] == [str(down.id), str(up.id)]


async def test_a_retried_tick_notifies_nobody_twice(deps):
    await an_alert(deps, threshold=100)
    await tick(deps, 90.0, 1)
    first = await tick(deps, 100.0, 2, source="tick-2")
    again = await tick(deps, 100.0, 2, source="tick-2")
    assert (first.outcome, first.alerts_fired) == (TickOutcome.APPLIED, 1)
    assert (again.outcome, again.alerts_fired, again.previous_price) == (
        TickOutcome.DUPLICATE,
        0,
        100.0,
    )
    assert len(await mine(deps)) == 1


async def test_older_ticks_change_nothing(deps, db):
    await an_alert(deps, direction="below", threshold=100)
    await tick(deps, 120.0, 10)
    stale = await tick(deps, 50.0, 5)  # older: it must not count as the price falling
    assert (stale.outcome, stale.alerts_fired) == (TickOutcome.STALE, 0)
    assert db.store.prices["ETH-USD"].price == 120.0
    assert await mine(deps) == []


async def test_a_tick_from_the_future_is_refused_so_real_ticks_are_not_stale(deps, db, clock):
    """The attack: one tick stamped in 2100 became the asset's last, and every real tick
    after it was `stale` (alerts frozen)."""
    await an_alert(deps, threshold=100)
    await tick(deps, 90.0, 1)
    with pytest.raises(TickFromTheFuture) as refused:
        await tick(deps, 1.0, MAX_TIMESTAMP_MS)
    assert "ahead of this server's clock" in str(refused.value)
    assert db.store.prices["ETH-USD"].price == 90.0
    now = int(clock.now.timestamp() * 1000)
    real = await tick(deps, 101.0, now)
    assert (real.outcome, real.alerts_fired) == (TickOutcome.APPLIED, 1)
    skew_ahead = int((clock.now + MAX_FUTURE_SKEW).timestamp() * 1000)
    assert (await tick(deps, 99.0, skew_ahead)).outcome is TickOutcome.APPLIED
    with pytest.raises(TickFromTheFuture):
        await tick(deps, 99.0, skew_ahead + 1)


async def test_a_tick_that_loses_a_race_is_evaluated_again_after_the_winner(deps, db):
    await an_alert(deps, threshold=100)
    await tick(deps, 90.0, 1)
    # Between this tick's read and its write another instance applies 110 at t=2 (that tick
    # is the crossing); evaluated again from 110, 120 crosses nothing.
    db.prices.racing_ticks.append(PriceTick("ETH-USD", 110.0, 2))
    result = await tick(deps, 120.0, 3)
    assert (result.outcome, result.previous_price, result.alerts_fired) == (
        TickOutcome.APPLIED,
        110.0,
        0,
    )
    assert db.store.prices["ETH-USD"].price == 120.0


async def test_a_tick_that_keeps_losing_gives_up_without_changing_anything(deps, db):
    await tick(deps, 90.0, 1)
    db.prices.racing_ticks.extend(PriceTick("ETH-USD", 90.0 + i, 2 + i) for i in range(20))
    db.prices.applies = 0
    with pytest.raises(TickContention):
        await tick(deps, 200.0, 10_000)
    assert db.prices.applies == MAX_ATTEMPTS
    assert db.store.prices["ETH-USD"].price != 200.0


async def test_an_alert_deleted_before_the_tick_is_applied_does_not_fire(deps, db):
    doomed = await an_alert(deps, threshold=100)
    await tick(deps, 90.0, 1)

    # The alert is read as armed, then deleted before the tick's transaction.
    real_armed_between = db.alerts.armed_between

    async def read_then_delete(*args):
        found = await real_armed_between(*args)
        await alerts.delete_alert(deps, ALICE, doomed.id)
        return found

    db.alerts.armed_between = read_then_delete
    result = await tick(deps, 110.0, 2)
    assert (result.outcome, result.alerts_fired) == (TickOutcome.APPLIED, 0)
    assert await mine(deps) == []
