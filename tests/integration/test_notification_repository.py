"""The notification service's Tortoise adapters against real databases, schema from the
migrations: delivered once even under racing inserts, per-user reads, and ticks that move an
asset's price by compare-and-set together with the alerts they fire."""

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from uuid import uuid4

import pytest
from tortoise import Tortoise

from services.common.database import apply_migrations, service_database
from services.notification.adapters.alerts import TortoiseAlertRepository
from services.notification.adapters.notifications import TortoiseNotificationRepository
from services.notification.adapters.prices import TortoisePriceBook
from services.notification.bootstrap import build_deps
from services.notification.config import NotificationSettings
from services.notification.domain.alerts import Direction, PriceAlert
from services.notification.domain.notifications import (
    EventType,
    Notification,
    NotificationEvent,
)
from services.notification.domain.prices import PriceTick, TickOutcome
from services.notification.service_layer import notifications, ticks
from tests.integration.conftest import migrated_and_open
from tests.support.clock import FakeClock

pytestmark = pytest.mark.integration

MIGRATIONS = sorted(
    (Path(__file__).resolve().parents[2] / "services" / "notification" / "migrations").glob("0*.py")
)
ALICE, BOB = uuid4(), uuid4()
T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def settings(database_url: str) -> NotificationSettings:
    return NotificationSettings(database_url=database_url)


@pytest.fixture
async def db(database_url):
    async with migrated_and_open(service_database("notification", settings(database_url))):
        yield


@pytest.fixture
def repo(db) -> TortoiseNotificationRepository:
    return TortoiseNotificationRepository()


@pytest.fixture
def alert_repo(db) -> TortoiseAlertRepository:
    return TortoiseAlertRepository()


@pytest.fixture
def deps(db):
    return build_deps(
        TortoiseNotificationRepository(),
        TortoiseAlertRepository(),
        TortoisePriceBook(),
        clock=FakeClock(T0),
    )


def an_event(user=ALICE, **changes) -> NotificationEvent:
    fields = {
        "event_id": uuid4(),
        "type": EventType.SALE_COMPLETED,
        "user_id": user,
        "occurred_at": T0,
        "data": {"saleId": str(uuid4()), "price": 12.5, "currency": "ETH", "nftName": "Ålice"},
    }
    return NotificationEvent(**{**fields, **changes})


def a_notification(event: NotificationEvent, at: datetime = T0) -> Notification:
    return Notification(id=uuid4(), event=event, created_at=at)


async def rows(table: str) -> int:
    _, found = await Tortoise.get_connection("notification").execute_query(
        f"SELECT COUNT(*) AS n FROM {table}"
    )
    return dict(found[0])["n"]


# --- notifications -------------------------------------------------------------------------


async def test_a_notification_reads_back_exactly(repo):
    far_east = timezone(timedelta(hours=14))
    notification = a_notification(an_event(occurred_at=datetime(1, 1, 1, tzinfo=far_east)))
    assert await repo.add(notification)
    stored = await repo.get(notification.id, ALICE)
    assert stored == notification
    assert stored.event.occurred_at.utcoffset() == timedelta(hours=14)
    assert await repo.get_by_event(notification.event.event_id, ALICE) == notification
    assert await repo.get(notification.id, BOB) is None  # someone else's
    assert await repo.get_by_event(notification.event.event_id, BOB) is None


async def test_the_same_event_for_the_same_user_is_stored_once(repo):
    event = an_event()
    assert await repo.add(a_notification(event))
    assert not await repo.add(a_notification(event))
    assert await repo.add(a_notification(an_event(**{**vars(event), "user_id": BOB})))
    assert await rows("notification") == 2


async def test_racing_deliveries_of_one_event_store_one_row(deps, repo):
    event = an_event()
    results = await asyncio.gather(*(notifications.deliver_event(deps, event) for _ in range(8)))
    assert sorted(created for _, created in results) == [False] * 7 + [True]
    assert len({n.id for n, _ in results}) == 1
    assert await rows("notification") == 1


async def test_racing_inserts_keep_the_unique_constraint(repo):
    event = an_event()
    added = await asyncio.gather(*(repo.add(a_notification(event)) for _ in range(8)))
    assert sorted(added) == [False] * 7 + [True]
    assert await rows("notification") == 1


async def test_listing_is_per_user_newest_first_and_filters_unread(repo):
    mine = [a_notification(an_event(), at=T0 + timedelta(seconds=i)) for i in range(5)]
    for notification in [*mine, a_notification(an_event(BOB))]:
        await repo.add(notification)
    pages = [await repo.list_for(ALICE, unread_only=False, limit=2, offset=o) for o in (0, 2, 4)]
    assert [n.id for page in pages for n in page] == [n.id for n in reversed(mine)]
    await repo.mark_read(mine[4].id, ALICE, T0 + timedelta(minutes=1))
    await repo.mark_read(mine[3].id, BOB, T0)  # not Bob's: nothing happens
    unread = await repo.list_for(ALICE, unread_only=True, limit=10, offset=0)
    assert [n.id for n in unread] == [n.id for n in reversed(mine[:4])]


async def test_marking_read_keeps_the_first_time(repo):
    notification = a_notification(an_event())
    await repo.add(notification)
    first, later = T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)
    await repo.mark_read(notification.id, ALICE, first)
    await repo.mark_read(notification.id, ALICE, later)
    assert (await repo.get(notification.id, ALICE)).read_at == first


# --- alerts and ticks ----------------------------------------------------------------------


def an_alert(user=ALICE, direction="above", threshold=100.0, symbol="ETH-USD") -> PriceAlert:
    return PriceAlert(
        id=uuid4(),
        user_id=user,
        asset_symbol=symbol,
        direction=Direction(direction),
        threshold=threshold,
        created_at=T0,
    )


async def test_alerts_are_per_user_and_found_by_threshold_range(alert_repo):
    low, mid, high = an_alert(threshold=90), an_alert(threshold=100), an_alert(threshold=110)
    other = an_alert(BOB, threshold=100, symbol="BTC")
    for alert in (low, mid, high, other):
        await alert_repo.add(alert)
    assert {a.id for a in await alert_repo.armed_between("ETH-USD", 90, 100)} == {low.id, mid.id}
    assert await alert_repo.count_armed(ALICE) == 3
    assert [a.id for a in await alert_repo.list_for(BOB, limit=10, offset=0)] == [other.id]
    assert not await alert_repo.delete(other.id, ALICE)
    assert await alert_repo.delete(other.id, BOB)
    assert await alert_repo.list_for(BOB, limit=10, offset=0) == []


async def test_a_crossing_tick_fires_once_and_disarms_in_the_database(deps, alert_repo, repo):
    alert = an_alert(threshold=100)
    await alert_repo.add(alert)
    tick = PriceTick("ETH-USD", 100.0, 2_000, "tick-2")
    assert (await ticks.submit_price_tick(deps, PriceTick("ETH-USD", 90.0, 1_000))).outcome == (
        TickOutcome.APPLIED
    )
    fired = await ticks.submit_price_tick(deps, tick)
    assert (fired.outcome, fired.previous_price, fired.alerts_fired) == (
        TickOutcome.APPLIED,
        90.0,
        1,
    )
    again = await ticks.submit_price_tick(deps, tick)
    assert (again.outcome, again.alerts_fired) == (TickOutcome.DUPLICATE, 0)
    (stored,) = await alert_repo.list_for(ALICE, limit=10, offset=0)
    assert (stored.armed, stored.fired_price, stored.fired_at) == (False, 100.0, T0)
    assert await alert_repo.count_armed(ALICE) == 0
    (notification,) = await repo.list_for(ALICE, unread_only=True, limit=10, offset=0)
    assert notification.event == alert.event_for(tick, previous=90.0)


async def test_racing_ticks_of_one_asset_fire_each_crossing_once(deps, alert_repo, repo):
    alerts = [an_alert(threshold=t) for t in (100.0, 200.0)]
    for alert in alerts:
        await alert_repo.add(alert)
    await ticks.submit_price_tick(deps, PriceTick("ETH-USD", 50.0, 1))
    # Up and down across both thresholds, all at once, and each tick sent twice.
    moves = [PriceTick("ETH-USD", p, t) for t, p in enumerate((150.0, 250.0, 60.0, 220.0), 2)]
    results = await asyncio.gather(*(ticks.submit_price_tick(deps, m) for m in moves * 2))
    assert sum(r.alerts_fired for r in results) <= 2
    notes = await repo.list_for(ALICE, unread_only=False, limit=10, offset=0)
    fired = [a for a in await alert_repo.list_for(ALICE, limit=10, offset=0) if not a.armed]
    # Each disarmed alert has exactly one notification, and nothing fired twice.
    assert sorted(n.event.data["alertId"] for n in notes) == sorted(str(a.id) for a in fired)
    assert sum(r.alerts_fired for r in results) == len(fired)
    assert await rows("asset_price") == 1


async def test_migrations_are_idempotent(db, database_url):
    await apply_migrations(service_database("notification", settings(database_url)))
    _, found = await Tortoise.get_connection("notification").execute_query(
        "SELECT COUNT(*) AS n FROM tortoise_migrations"
    )
    assert dict(found[0])["n"] == len(MIGRATIONS) == 1
