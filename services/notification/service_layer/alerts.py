"""Use cases of a user's price alerts."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from services.notification.domain.alerts import MAX_ARMED_ALERTS_PER_USER, Direction, PriceAlert
from services.notification.domain.errors import AlertLimitReached, AlertNotFound
from services.notification.service_layer.deps import NotificationDeps


async def create_alert(
    deps: NotificationDeps,
    user_id: UUID,
    *,
    asset_symbol: str,
    direction: Direction,
    threshold: float,
) -> PriceAlert:
    alert = PriceAlert(
        id=deps.new_id(),
        user_id=user_id,
        asset_symbol=asset_symbol,
        direction=direction,
        threshold=threshold,
        created_at=deps.clock(),
    )
    # A soft limit: two creations racing past it leave the user one or two over.
    if await deps.alerts.count_armed(user_id) >= MAX_ARMED_ALERTS_PER_USER:
        raise AlertLimitReached(MAX_ARMED_ALERTS_PER_USER)
    await deps.alerts.add(alert)
    return alert


async def list_alerts(
    deps: NotificationDeps, user_id: UUID, *, limit: int, offset: int
) -> Sequence[PriceAlert]:
    return await deps.alerts.list_for(user_id, limit=limit, offset=offset)


async def delete_alert(deps: NotificationDeps, user_id: UUID, alert_id: UUID) -> None:
    if not await deps.alerts.delete(alert_id, user_id):
        raise AlertNotFound(alert_id)
