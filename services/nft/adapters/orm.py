"""Tortoise models of the nft database. Schema changes go through migrations/."""

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from services.common.idempotency_orm import TABLE as IDEMPOTENCY_TABLE
from services.common.idempotency_orm import UNIQUE as IDEMPOTENCY_UNIQUE
from services.common.idempotency_orm import IdempotencyRecordModel


class NftRecord(Model):
    id = fields.UUIDField(primary_key=True)
    name = fields.CharField(max_length=128)
    description = fields.CharField(max_length=2000)
    metadata = fields.JSONField()
    owner_id = fields.UUIDField()
    creator_id = fields.UUIDField()
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    hidden = fields.BooleanField(default=False)
    hidden_reason = fields.CharField(max_length=500, null=True)

    class Meta:
        table = "nft"
        indexes = (Index(fields=("owner_id", "created_at"), name="idx_nft_owner_created"),)


# Idempotency-Key replays of this service's write operations.
class IdempotencyRecord(IdempotencyRecordModel):
    class Meta:
        table = IDEMPOTENCY_TABLE
        unique_together = IDEMPOTENCY_UNIQUE
