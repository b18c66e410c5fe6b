"""Tortoise models of the user database. Schema changes go through migrations/."""

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from services.common.idempotency_orm import TABLE as IDEMPOTENCY_TABLE
from services.common.idempotency_orm import UNIQUE as IDEMPOTENCY_UNIQUE
from services.common.idempotency_orm import IdempotencyRecordModel


class UserRecord(Model):
    id = fields.UUIDField(primary_key=True)
    username = fields.CharField(max_length=32, unique=True)
    email = fields.CharField(max_length=254, unique=True)
    password_hash = fields.CharField(max_length=255)
    created_at = fields.DatetimeField()
    roles = fields.JSONField(default=list)
    disabled = fields.BooleanField(default=False)

    class Meta:
        table = "app_user"


class RefreshTokenRecord(Model):
    id = fields.UUIDField(primary_key=True)
    family_id = fields.UUIDField(db_index=True)
    user_id = fields.UUIDField(db_index=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "refresh_token"


# A failed login (or one whose password is being checked) of `account` from `address`.
class LoginFailureRecord(Model):
    id = fields.BigIntField(primary_key=True)
    account = fields.CharField(max_length=32)  # the contract's Username, lower-cased
    address = fields.CharField(max_length=64)
    failed_at = fields.DatetimeField(db_index=True)  # old rows are dropped by it

    class Meta:
        table = "login_failure"
        # The throttle's two counts: per (account, address) and per address, within a window.
        indexes = (
            Index(fields=("account", "address", "failed_at"), name="idx_login_failure_pair"),
            Index(fields=("address", "failed_at"), name="idx_login_failure_address"),
        )


# Idempotency-Key replays of this service's write operations.
class IdempotencyRecord(IdempotencyRecordModel):
    class Meta:
        table = IDEMPOTENCY_TABLE
        unique_together = IDEMPOTENCY_UNIQUE
