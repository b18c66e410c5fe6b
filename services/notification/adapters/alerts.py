"""AlertRepository on Tortoise ORM; maps rows to domain objects and back."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from services.common.sql_inserts import column_value, insert_row
from services.common.sql_views import fetch, statement
from services.notification.adapters.orm import CONNECTION, PriceAlertRecord
from services.notification.domain.alerts import PriceAlert

# Prepared (every new alert counts the user's armed ones first).
_COUNT_ARMED = statement(
    lambda d: (
        f"SELECT COUNT(*) AS n FROM price_alert WHERE user_id = {d.param(1)} AND fired_at IS NULL"
    )
)


def to_domain(record: PriceAlertRecord) -> PriceAlert:
    return PriceAlert(
        id=record.id,
        user_id=record.user_id,
        asset_symbol=record.asset_symbol,
        direction=record.direction,
        threshold=record.threshold,
        created_at=record.created_at,
        fired_at=record.fired_at,
        fired_price=record.fired_price,
    )


class TortoiseAlertRepository:
    async def add(self, alert: PriceAlert) -> None:
        # A prepared INSERT (every new alert runs it): the ORM's create compiled it through
        # pypika and asked SQLite for a row id it did not need.
        row = {
            "id": alert.id,
            "user_id": alert.user_id,
            "asset_symbol": alert.asset_symbol,
            "direction": alert.direction.value,
            "threshold": alert.threshold,
            "created_at": alert.created_at,
            "fired_at": alert.fired_at,
            "fired_price": alert.fired_price,
        }
        await insert_row(CONNECTION, PriceAlertRecord, row)

    async def count_armed(self, user_id: UUID) -> int:
        user = column_value(PriceAlertRecord, "user_id", user_id)
        [counted] = await fetch(CONNECTION, _COUNT_ARMED, user)
        return int(counted["n"])

    async def list_for(self, user_id: UUID, *, limit: int, offset: int) -> Sequence[PriceAlert]:
        records = (
            await PriceAlertRecord.filter(user_id=user_id)
            .order_by("-created_at", "-id")
            .offset(offset)
            .limit(limit)
        )
        return [to_domain(r) for r in records]

    async def delete(self, alert_id: UUID, user_id: UUID) -> bool:
        return await PriceAlertRecord.filter(id=alert_id, user_id=user_id).delete() == 1

    async def armed_between(self, asset_symbol: str, low: float, high: float) -> list[PriceAlert]:
        records = await PriceAlertRecord.filter(
            asset_symbol=asset_symbol,
            fired_at__isnull=True,
            threshold__gte=low,
            threshold__lte=high,
        )
        return [to_domain(r) for r in records]
