"""The columns of the table every service keeps for Idempotency-Key replays. Abstract: each
service declares its own concrete model (in its adapters/orm.py, in its own database and
migrations), because a Tortoise model belongs to exactly one app."""

from tortoise import fields
from tortoise.models import Model

TABLE = "idempotency_record"
UNIQUE = (("scope", "key"),)


class IdempotencyRecordModel(Model):
    id = fields.BigIntField(primary_key=True)
    scope = fields.CharField(max_length=200)  # operation and caller: keys are per client
    key = fields.CharField(max_length=255)
    fingerprint = fields.CharField(max_length=64)  # of the request: same key, other body -> 422
    response_status = fields.IntField()
    response_body = fields.JSONField(null=True)
    response_headers = fields.JSONField(default=dict)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        abstract = True
