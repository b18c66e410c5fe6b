"""The notification read model on real databases answers exactly what the domain path
answered: the repository's notifications through the mappers, down to the bytes of the JSON."""

import json
from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import pytest

from services.common.database import service_database
from services.notification.adapters.notifications import TortoiseNotificationRepository
from services.notification.adapters.views import SqlNotificationViews
from services.notification.config import NotificationSettings
from services.notification.domain.notifications import (
    EventType,
    Notification,
    NotificationEvent,
)
from tests.integration.conftest import migrated_and_open
from tests.unit.notification_fakes import MappedNotificationViews

pytestmark = pytest.mark.integration

ALICE, BOB = uuid4(), uuid4()
T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
PAGES = ((100, 0), (2, 0), (2, 2), (3, 4), (1, 100))


@pytest.fixture
async def repo(database_url):
    settings = NotificationSettings(database_url=database_url)
    async with migrated_and_open(service_database("notification", settings)):
        yield TortoiseNotificationRepository()


def a_notification(user=ALICE, at=T0, occurred_at=T0, **data) -> Notification:
    event = NotificationEvent(
        event_id=uuid4(),
        type=EventType.SALE_COMPLETED,
        user_id=user,
        occurred_at=occurred_at,
        data={"saleId": str(uuid4()), "price": 12.5, "currency": "ETH", "nftName": "Ålice", **data},
    )
    return Notification(id=uuid4(), event=event, created_at=at)


async def test_a_users_notifications_read_as_the_domain_path_answers(repo):
    stored = [
        a_notification(at=T0.replace(microsecond=0)),  # isoformat leaves out a zero fraction
        a_notification(at=T0.replace(microsecond=999999) + timedelta(seconds=59)),
        a_notification(at=T0.astimezone(timezone(timedelta(hours=-5)))),  # another offset
        # The publisher's offset is kept on occurredAt, whatever it is.
        a_notification(occurred_at=T0.astimezone(timezone(timedelta(hours=5, minutes=30)))),
        a_notification(occurred_at=T0.replace(microsecond=0), zeta="last key", alpha="first"),
        a_notification(at=T0 + timedelta(days=3)),
        a_notification(at=T0 + timedelta(days=3)),  # same time: ordered by id
        a_notification(user=BOB),
    ]
    for notification in stored:
        assert await repo.add(notification)
    for read in stored[1:4]:
        await repo.mark_read(read.id, read.user_id, T0 + timedelta(hours=1, microseconds=7))
    await repo.mark_read(stored[4].id, ALICE, T0.replace(microsecond=0) + timedelta(hours=2))

    sql, mapped = SqlNotificationViews(), MappedNotificationViews(repo)
    for user in (ALICE, BOB, uuid4()):
        for unread_only in (False, True):
            for limit, offset in PAGES:
                page = {"unread_only": unread_only, "limit": limit, "offset": offset}
                expected = await mapped.for_user(user, **page)
                answered = await sql.for_user(user, **page)
                assert json.dumps(answered) == json.dumps(expected), (user, page)
    mine = await sql.for_user(ALICE, unread_only=False, limit=100, offset=0)
    assert len(mine) == len(stored) - 1  # never another user's
    unread = await sql.for_user(ALICE, unread_only=True, limit=100, offset=0)
    assert {n["id"] for n in unread} == {str(n.id) for n in stored[:7] if n not in stored[1:5]}
    assert all(n["read"] is False and n["readAt"] is None for n in unread)


async def test_timestamps_read_in_the_contracts_form(repo):
    notification = a_notification(at=T0.replace(microsecond=0))
    await repo.add(notification)
    await repo.mark_read(notification.id, ALICE, T0.replace(microsecond=10))
    [answered] = await SqlNotificationViews().for_user(ALICE, unread_only=False, limit=1, offset=0)
    assert answered["createdAt"] == "2026-03-01T12:00:00Z"
    assert (answered["read"], answered["readAt"]) == (True, "2026-03-01T12:00:00.000010Z")
    assert answered["occurredAt"] == "2026-03-01T12:00:00.123456Z"
