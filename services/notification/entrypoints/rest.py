"""Connexion handlers of the notification API: parse -> use case -> contract shape. Nothing else.

`publish_notification_event`, `submit_price_tick` and `submit_price_tick_batch` serve
/internal/…: outside the API prefix, so the edge has no route to them; only peers reach them,
through this instance's sidecar."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.notification.domain.alerts import Direction
from services.notification.mappers import (
    alert_to_contract,
    batch_event_from_contract,
    batch_outcome_to_contract,
    batch_tick_from_contract,
    event_from_contract,
    event_outcome_to_contract,
    notification_to_contract,
    tick_from_contract,
    tick_result_to_contract,
)
from services.notification.service_layer import alerts, notifications, ticks
from services.notification.service_layer.deps import NotificationDeps

Json = dict[str, Any]


class NotificationHandlers:
    def __init__(self, deps: NotificationDeps) -> None:
        self._deps = deps

    async def publish_notification_event(self, body: Json) -> tuple[Json, int]:
        notification, created = await notifications.deliver_event(
            self._deps, event_from_contract(body)
        )
        return notification_to_contract(notification), 201 if created else 200

    async def publish_notification_event_batch(self, body: Json) -> Json:
        outcomes = await notifications.deliver_events(
            self._deps, [batch_event_from_contract(e) for e in body["events"]]
        )
        return {"results": [event_outcome_to_contract(o) for o in outcomes]}

    async def submit_price_tick(self, body: Json) -> Json:
        result = await ticks.submit_price_tick(self._deps, tick_from_contract(body))
        return tick_result_to_contract(result)

    async def submit_price_tick_batch(self, body: Json) -> Json:
        outcomes = await ticks.submit_price_tick_batch(
            self._deps, [batch_tick_from_contract(t) for t in body["ticks"]]
        )
        return {"results": [batch_outcome_to_contract(o) for o in outcomes]}

    async def list_notifications(
        self, user: str, limit: int, offset: int, unread: bool = False
    ) -> list[Json]:
        return await notifications.notifications_view(
            self._deps, UUID(user), unread_only=unread, limit=limit, offset=offset
        )

    async def acknowledge_notification(self, notificationId: str, user: str) -> Json:
        notification = await notifications.acknowledge(self._deps, UUID(user), UUID(notificationId))
        return notification_to_contract(notification)

    async def create_price_alert(self, body: Json, user: str) -> tuple[Json, int]:
        alert = await alerts.create_alert(
            self._deps,
            UUID(user),
            asset_symbol=body["assetSymbol"],
            direction=Direction(body["direction"]),
            threshold=body["threshold"],
        )
        return alert_to_contract(alert), 201

    async def list_price_alerts(self, user: str, limit: int, offset: int) -> list[Json]:
        found = await alerts.list_alerts(self._deps, UUID(user), limit=limit, offset=offset)
        return [alert_to_contract(a) for a in found]

    async def delete_price_alert(self, alertId: str, user: str) -> tuple[None, int]:
        await alerts.delete_alert(self._deps, UUID(user), UUID(alertId))
        return None, 204
