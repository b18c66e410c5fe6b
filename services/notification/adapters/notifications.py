"""NotificationRepository on Tortoise ORM; maps rows to domain objects and back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from services.common.timestamps import rfc3339
from services.common.uncancellable import finished_even_if_cancelled
from services.notification.adapters.orm import NotificationRecord
from services.notification.adapters.views import SqlNotificationViews
from services.notification.domain.notifications import Notification, NotificationEvent


def to_record(notification: Notification) -> NotificationRecord:
    event = notification.event
    return NotificationRecord(
        id=notification.id,
        event_id=event.event_id,
        user_id=event.user_id,
        type=event.type.value,
        occurred_at=rfc3339(event.occurred_at),
        data=dict(event.data),
        created_at=notification.created_at,
        read_at=notification.read_at,
    )


def to_domain(record: NotificationRecord) -> Notification:
    return Notification(
        id=record.id,
        event=NotificationEvent(
            event_id=record.event_id,
            type=record.type,
            user_id=record.user_id,
            occurred_at=datetime.fromisoformat(record.occurred_at),
            data=record.data,
        ),
        created_at=record.created_at,
        read_at=record.read_at,
    )


class TortoiseNotificationRepository:
    def views(self) -> SqlNotificationViews:
        return SqlNotificationViews()

    async def add(self, notification: Notification) -> bool:
        # INSERT ... ON CONFLICT DO NOTHING (SQLite: INSERT OR IGNORE): the unique (event_id,
        # user_id) keeps out a copy without raising, which would abort a surrounding
        # PostgreSQL transaction (an Idempotency-Key request runs in one).
        await finished_even_if_cancelled(
            NotificationRecord.bulk_create([to_record(notification)], ignore_conflicts=True)
        )
        return await NotificationRecord.exists(id=notification.id)

    async def get_by_event(self, event_id: UUID, user_id: UUID) -> Notification | None:
        record = await NotificationRecord.get_or_none(event_id=event_id, user_id=user_id)
        return to_domain(record) if record else None

    async def get(self, notification_id: UUID, user_id: UUID) -> Notification | None:
        record = await NotificationRecord.get_or_none(id=notification_id, user_id=user_id)
        return to_domain(record) if record else None

    async def list_for(
        self, user_id: UUID, *, unread_only: bool, limit: int, offset: int
    ) -> Sequence[Notification]:
        query = NotificationRecord.filter(user_id=user_id)
        if unread_only:
            query = query.filter(read_at__isnull=True)
        records = await query.order_by("-created_at", "-id").offset(offset).limit(limit)
        return [to_domain(r) for r in records]

    async def mark_read(self, notification_id: UUID, user_id: UUID, at: datetime) -> None:
        # Conditional: the first acknowledgement's time stays.
        await NotificationRecord.filter(
            id=notification_id, user_id=user_id, read_at__isnull=True
        ).update(read_at=at)
