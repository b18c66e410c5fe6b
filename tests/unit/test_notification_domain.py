"""The notification service's domain rules: the crossing rule, tick ordering, event identity."""

from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import pytest

from services.notification.domain.alerts import Direction, PriceAlert, crossed
from services.notification.domain.errors import InvalidAlert, InvalidEvent, InvalidTick
from services.notification.domain.notifications import (
    EventType,
    Notification,
    NotificationEvent,
)
from services.notification.domain.prices import PriceTick, TickOutcome, outcome_of

pytestmark = pytest.mark.unit

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def alert(direction: str, threshold: float, **changes) -> PriceAlert:
    return PriceAlert(
        id=uuid4(),
        user_id=uuid4(),
        asset_symbol="ETH-USD",
        direction=Direction(direction),
        threshold=threshold,
        created_at=T0,
        **changes,
    )


# --- the crossing rule ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("previous", "price", "fires"),
    [
        (90, 110, True),  # from below to above
        (90, 100, True),  # touching the threshold reaches it
        (99.99, 100, True),
        (100, 110, False),  # it was already there: no crossing
        (100, 100, False),
        (110, 120, False),  # stays above
        (80, 99.99, False),  # not there yet
        (110, 90, False),  # the wrong way
    ],
)
def test_an_above_alert_fires_when_the_price_rises_to_its_threshold(previous, price, fires):
    assert alert("above", 100).crossed_by(previous, price) is fires


@pytest.mark.parametrize(
    ("previous", "price", "fires"),
    [
        (110, 90, True),
        (110, 100, True),  # touching counts
        (100, 90, False),  # already reached
        (100, 100, False),
        (90, 80, False),  # stays below
        (120, 100.01, False),
        (90, 110, False),  # the wrong way
    ],
)
def test_a_below_alert_fires_when_the_price_falls_to_its_threshold(previous, price, fires):
    assert alert("below", 100).crossed_by(previous, price) is fires


def test_only_armed_alerts_cross():
    armed, fired = alert("above", 100), alert("above", 100, fired_at=T0, fired_price=101.0)
    assert crossed([armed, fired], 90, 110) == [armed]


def test_firing_disarms_with_the_price_and_time():
    fired = alert("above", 100).fired(105.5, at=T0)
    assert (fired.armed, fired.fired_at, fired.fired_price) == (False, T0, 105.5)


def test_an_alerts_event_is_the_same_for_the_same_tick_and_differs_per_tick():
    a = alert("above", 100)
    tick, later = PriceTick("ETH-USD", 101.0, 1000), PriceTick("ETH-USD", 101.0, 2000)
    first = a.event_for(tick, previous=99.0)
    assert first == a.event_for(tick, previous=99.0)
    assert first.event_id != a.event_for(later, previous=99.0).event_id
    assert first.event_id != alert("above", 100).event_for(tick, previous=99.0).event_id
    assert (first.type, first.user_id) == (EventType.PRICE_ALERT, a.user_id)
    assert first.occurred_at == datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert first.data == {
        "alertId": str(a.id),
        "assetSymbol": "ETH-USD",
        "direction": "above",
        "threshold": 100.0,
        "price": 101.0,
        "previousPrice": 99.0,
    }


@pytest.mark.parametrize(
    ("symbol", "threshold"),
    [("eth", 1.0), ("BTC\n", 1.0), ("BTC", 0), ("BTC", -1), ("BTC", float("nan")), ("BTC", True)],
)
def test_invalid_alerts_cannot_exist(symbol, threshold):
    with pytest.raises(InvalidAlert):
        PriceAlert(uuid4(), uuid4(), symbol, Direction.ABOVE, threshold, T0)


# --- tick ordering -------------------------------------------------------------------------


def test_the_first_tick_of_an_asset_applies():
    assert outcome_of(PriceTick("BTC", 1.0, 5), None) is TickOutcome.APPLIED


@pytest.mark.parametrize(
    ("tick", "outcome"),
    [
        (PriceTick("BTC", 2.0, 11), TickOutcome.APPLIED),
        (PriceTick("BTC", 1.0, 10, "s-1"), TickOutcome.DUPLICATE),  # the same tick again
        (PriceTick("BTC", 2.0, 10, "s-1"), TickOutcome.STALE),  # same time, other price
        (PriceTick("BTC", 1.0, 10), TickOutcome.STALE),  # not the same source
        (PriceTick("BTC", 1.0, 9), TickOutcome.STALE),
    ],
)
def test_only_newer_ticks_apply(tick, outcome):
    assert outcome_of(tick, PriceTick("BTC", 1.0, 10, "s-1")) is outcome


@pytest.mark.parametrize(
    "fields",
    [
        ("btc", 1.0, 1),
        ("BTC", 0.0, 1),
        ("BTC", float("inf"), 1),
        ("BTC", 1.0, -1),
        ("BTC", 1.0, 1.5),
        ("BTC", 1.0, 1, ""),
        ("BTC", 1.0, 1, "x" * 129),
    ],
)
def test_invalid_ticks_cannot_exist(fields):
    with pytest.raises(InvalidTick):
        PriceTick(*fields)


# --- events and their identity -------------------------------------------------------------


def event(**changes) -> NotificationEvent:
    fields = {
        "event_id": uuid4(),
        "type": EventType.NFT_MINTED,
        "user_id": uuid4(),
        "occurred_at": T0,
        "data": {"nftId": str(uuid4()), "price": 1},
    }
    return NotificationEvent(**{**fields, **changes})


def test_an_event_is_equal_whatever_offset_its_time_is_written_in():
    original = event()
    plus_two = timezone(timedelta(hours=2))
    same = event(**{**vars(original), "occurred_at": T0.astimezone(plus_two)})
    assert same == original
    notification = Notification(uuid4(), original, created_at=T0)
    assert notification.delivers(same)
    assert not notification.delivers(event(**{**vars(original), "type": EventType.NFT_TRANSFERRED}))
    assert not notification.delivers(event(**{**vars(original), "data": {"price": 2}}))
    assert not notification.delivers(event(**{**vars(original), "occurred_at": T0 + timedelta(1)}))


def test_an_event_at_the_edge_of_the_calendar_keeps_its_offset():
    # 0001-01-01T00:00+05:00 is before datetime.min in UTC; it is kept, not converted.
    edge = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))
    assert event(occurred_at=edge).occurred_at.utcoffset() == timedelta(hours=5)


@pytest.mark.parametrize(
    "changes",
    [
        {"occurred_at": datetime(2026, 1, 1)},  # no offset
        {"data": {"price": float("nan")}},
        {"data": {"price": float("inf")}},
        {"data": {"flag": True}},
        {"data": {"nftName": "x" * 257}},
        {"data": {f"k{i}": i for i in range(17)}},
    ],
)
def test_invalid_events_cannot_exist(changes):
    with pytest.raises(InvalidEvent):
        event(**changes)


def test_reading_a_notification_twice_keeps_the_first_time():
    notification = Notification(uuid4(), event(), created_at=T0)
    read = notification.read(T0 + timedelta(1))
    assert read.read(T0 + timedelta(2)).read_at == T0 + timedelta(1)
