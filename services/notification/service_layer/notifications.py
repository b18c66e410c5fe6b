"""Use cases of notifications: delivering events once, listing and acknowledging them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any
from uuid import UUID

from services.notification.domain.errors import EventConflict, InvalidEvent, NotificationNotFound
from services.notification.domain.notifications import Notification, NotificationEvent
from services.notification.service_layer.deps import NotificationDeps


async def deliver_event(
    deps: NotificationDeps, event: NotificationEvent
) -> tuple[Notification, bool]:
    """The event's notification, and whether this call created it. Publishing the same event
    again answers the stored one; the same event id with another body is a conflict."""
    notification = Notification(id=deps.new_id(), event=event, created_at=deps.clock())
    if await deps.notifications.add(notification):
        return notification, True
    stored = await deps.notifications.get_by_event(event.event_id, event.user_id)
    if stored is None:  # add() answers False only when this row exists
        raise RuntimeError(f"event {event.event_id} was refused as stored but is not found")
    if not stored.delivers(event):
        raise EventConflict(event.event_id)
    return stored, False


class EventOutcome(Enum):
    DELIVERED = "delivered"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class EventDelivered:
    """What became of one event of a batch (a refused one is an InvalidEvent in its place)."""

    outcome: EventOutcome
    notification_id: UUID | None = None


async def deliver_events(
    deps: NotificationDeps, events: Sequence[NotificationEvent | InvalidEvent]
) -> list[EventDelivered | InvalidEvent]:
    """Each event as deliver_event would deliver it, in order, one outcome each: events that
    could not even be read (InvalidEvent, passed in their place) and conflicts are reported,
    not raised, so one bad event never holds up the others of its batch."""
    outcomes: list[EventDelivered | InvalidEvent] = []
    for event in events:
        if isinstance(event, InvalidEvent):
            outcomes.append(event)
            continue
        try:
            notification, created = await deliver_event(deps, event)
        except EventConflict:
            outcomes.append(EventDelivered(EventOutcome.CONFLICT))
        except InvalidEvent as refused:
            outcomes.append(refused)
        else:
            outcome = EventOutcome.DELIVERED if created else EventOutcome.DUPLICATE
            outcomes.append(EventDelivered(outcome, notification.id))
    return outcomes


async def notifications_view(
    deps: NotificationDeps, user_id: UUID, *, unread_only: bool, limit: int, offset: int
) -> list[dict[str, Any]]:
    """The user's notifications as the contract shows them (the list_notifications operation)."""
    return await deps.views.for_user(user_id, unread_only=unread_only, limit=limit, offset=offset)


async def acknowledge(deps: NotificationDeps, user_id: UUID, notification_id: UUID) -> Notification:
    """Mark the user's notification read; again changes nothing. Another user's is not found."""
    await deps.notifications.mark_read(notification_id, user_id, deps.clock())
    notification = await deps.notifications.get(notification_id, user_id)
    if notification is None:
        raise NotificationNotFound(notification_id)
    return notification
