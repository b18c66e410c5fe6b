"""AlertRepository on Tortoise ORM; maps rows to domain objects and back."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from services.notification.adapters.orm import PriceAlertRecord
from services.notification.domain.alerts import PriceAlert


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
        await PriceAlertRecord.create(
            id=alert.id,
            user_id=alert.user_id,
            asset_symbol=alert.asset_symbol,
            direction=alert.direction.value,
            threshold=alert.threshold,
            created_at=alert.created_at,
            fired_at=alert.fired_at,
            fired_price=alert.fired_price,
        )

    async def count_armed(self, user_id: UUID) -> int:
        return await PriceAlertRecord.filter(user_id=user_id, fired_at__isnull=True).count()

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
