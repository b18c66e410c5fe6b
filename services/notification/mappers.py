"""The one place where the notification contract's JSON meets domain objects."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from services.common.quoting import quoted
from services.common.timestamps import rfc3339
from services.notification.domain.alerts import PriceAlert
from services.notification.domain.errors import InvalidEvent, InvalidTick
from services.notification.domain.notifications import EventType, Notification, NotificationEvent
from services.notification.domain.prices import PriceTick
from services.notification.service_layer.notifications import EventDelivered
from services.notification.service_layer.ticks import BatchOutcome, TickRefused, TickResult


def instant_from_contract(text: str) -> datetime:
    """An RFC 3339 date-time, keeping its offset. The contract's format check admits a few
    that Python cannot hold (a leap second); those are the client's error, not ours."""
    try:
        # RFC 3339 lets T and Z be lower case; fromisoformat wants them upper case.
        moment = datetime.fromisoformat(text.upper())
    except ValueError as error:
        # Not `error`'s text: it repeats the whole input.
        raise InvalidEvent(f"occurredAt {quoted(text)} is not a usable date-time") from error
    if moment.utcoffset() is None:
        raise InvalidEvent(f"occurredAt {quoted(text)} has no UTC offset")
    return moment


def event_from_contract(body: dict[str, Any]) -> NotificationEvent:
    return NotificationEvent(
        event_id=UUID(body["eventId"]),
        type=EventType(body["type"]),
        user_id=UUID(body["userId"]),
        occurred_at=instant_from_contract(body["occurredAt"]),
        data=body.get("data", {}),
    )


def batch_event_from_contract(body: dict[str, Any]) -> NotificationEvent | InvalidEvent:
    """One event of a batch: an event that cannot be delivered as it is stands in its place as
    its refusal, so the others still go."""
    try:
        return event_from_contract(body)
    except InvalidEvent as refused:
        return refused


def event_outcome_to_contract(outcome: EventDelivered | InvalidEvent) -> dict[str, Any]:
    if isinstance(outcome, InvalidEvent):
        # Bounded as the contract says; the message quotes input only through quoted().
        return {"outcome": "refused", "problems": [str(outcome)[:500]]}
    if outcome.notification_id is None:
        return {"outcome": outcome.outcome.value}
    return {"outcome": outcome.outcome.value, "notificationId": str(outcome.notification_id)}


def notification_to_contract(notification: Notification) -> dict[str, Any]:
    event = notification.event
    return {
        "id": str(notification.id),
        "eventId": str(event.event_id),
        "type": event.type.value,
        "userId": str(event.user_id),
        "occurredAt": rfc3339(event.occurred_at),
        "data": dict(event.data),
        "createdAt": rfc3339(notification.created_at),
        "read": notification.read_at is not None,
        "readAt": None if notification.read_at is None else rfc3339(notification.read_at),
    }


def alert_to_contract(alert: PriceAlert) -> dict[str, Any]:
    return {
        "id": str(alert.id),
        "assetSymbol": alert.asset_symbol,
        "direction": alert.direction.value,
        "threshold": alert.threshold,
        "status": "armed" if alert.armed else "fired",
        "createdAt": rfc3339(alert.created_at),
        "firedAt": None if alert.fired_at is None else rfc3339(alert.fired_at),
        "firedPrice": alert.fired_price,
    }


def tick_from_contract(body: dict[str, Any]) -> PriceTick:
    return PriceTick(
        asset_symbol=body["assetSymbol"],
        price=body["price"],
        timestamp=body["timestamp"],
        source_id=body.get("sourceId"),
    )


def tick_result_to_contract(result: TickResult) -> dict[str, Any]:
    tick = result.tick
    body: dict[str, Any] = {
        "assetSymbol": tick.asset_symbol,
        "price": tick.price,
        "timestamp": tick.timestamp,
        "outcome": result.outcome.value,
        "previousPrice": result.previous_price,
        "alertsFired": result.alerts_fired,
    }
    if tick.source_id is not None:
        body["sourceId"] = tick.source_id
    return body


def batch_tick_from_contract(body: dict[str, Any]) -> PriceTick | TickRefused:
    """A tick of a batch; one outside the tick rules is refused on its own, not the batch."""
    try:
        return tick_from_contract(body)
    except InvalidTick as error:
        return TickRefused(error.problems)


def batch_outcome_to_contract(outcome: BatchOutcome) -> dict[str, Any]:
    if isinstance(outcome, TickRefused):
        # Bounded as the contract says; the problems quote input only through quoted().
        return {"outcome": "refused", "problems": [p[:500] for p in outcome.problems[:10]]}
    return {
        "outcome": outcome.outcome.value,
        "previousPrice": outcome.previous_price,
        "alertsFired": outcome.alerts_fired,
    }
