"""Tortoise models of the trading database. Schema changes go through migrations/."""

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from services.common.idempotency_orm import TABLE as IDEMPOTENCY_TABLE
from services.common.idempotency_orm import UNIQUE as IDEMPOTENCY_UNIQUE
from services.common.idempotency_orm import IdempotencyRecordModel
from services.common.outbox_orm import INDEXES as OUTBOX_INDEXES
from services.common.outbox_orm import TABLE as OUTBOX_TABLE
from services.common.outbox_orm import OutboxMessageModel


class MarketDataTickRecord(Model):
    id = fields.UUIDField(primary_key=True)
    asset_symbol = fields.CharField(max_length=25)
    price = fields.FloatField()
    timestamp = fields.BigIntField()  # Unix time in milliseconds
    received_at = fields.DatetimeField()
    quantity = fields.FloatField(db_default=0.0)  # a column default: old rows are quotes

    class Meta:
        table = "market_data_tick"
        # Serves "recent ticks of one asset, newest first".
        indexes = (
            Index(
                fields=("asset_symbol", "timestamp", "received_at"),
                name="idx_market_data_tick_symbol_ts",
            ),
        )


# Idempotency-Key replays of this service's write operations.
class IdempotencyRecord(IdempotencyRecordModel):
    class Meta:
        table = IDEMPOTENCY_TABLE
        unique_together = IDEMPOTENCY_UNIQUE


# Ticks on their way to analytics and notification, written with the tick.
class OutboxMessage(OutboxMessageModel):
    class Meta:
        table = OUTBOX_TABLE
        indexes = OUTBOX_INDEXES
