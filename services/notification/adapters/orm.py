"""Tortoise models of the notification database. Schema changes go through migrations/."""

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from services.common.idempotency_orm import TABLE as IDEMPOTENCY_TABLE
from services.common.idempotency_orm import UNIQUE as IDEMPOTENCY_UNIQUE
from services.common.idempotency_orm import IdempotencyRecordModel

CONNECTION = "notification"  # the service's connection (services.common.database)


class NotificationRecord(Model):
    id = fields.UUIDField(primary_key=True)
    event_id = fields.UUIDField()
    user_id = fields.UUIDField()
    type = fields.CharField(max_length=32)
    # RFC 3339 with the publisher's offset: not every instant the contract admits converts to
    # UTC (see domain/notifications.py), and nothing orders by it.
    occurred_at = fields.CharField(max_length=40)
    data = fields.JSONField()
    created_at = fields.DatetimeField()
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notification"
        # Delivered once: a retried or racing publication cannot add a second row.
        unique_together = (("event_id", "user_id"),)
        # Serves "a user's notifications, newest first".
        indexes = (Index(fields=("user_id", "created_at"), name="idx_notification_user_created"),)


class PriceAlertRecord(Model):
    id = fields.UUIDField(primary_key=True)
    user_id = fields.UUIDField()
    asset_symbol = fields.CharField(max_length=25)
    direction = fields.CharField(max_length=8)
    threshold = fields.FloatField()
    created_at = fields.DatetimeField()
    fired_at = fields.DatetimeField(null=True)  # NULL while armed
    fired_price = fields.FloatField(null=True)

    class Meta:
        table = "price_alert"
        indexes = (
            # Serves "the asset's alerts with a threshold in this range", on every tick.
            Index(fields=("asset_symbol", "threshold"), name="idx_price_alert_symbol_threshold"),
            Index(fields=("user_id", "created_at"), name="idx_price_alert_user_created"),
        )


class AssetPriceRecord(Model):
    """The last applied tick of each asset: the "previous price" of the crossing rule."""

    asset_symbol = fields.CharField(max_length=25, primary_key=True)
    price = fields.FloatField()
    timestamp = fields.BigIntField()  # Unix time in milliseconds
    source_id = fields.CharField(max_length=128, null=True)

    class Meta:
        table = "asset_price"


# Idempotency-Key replays of this service's write operations.
class IdempotencyRecord(IdempotencyRecordModel):
    class Meta:
        table = IDEMPOTENCY_TABLE
        unique_together = IDEMPOTENCY_UNIQUE
