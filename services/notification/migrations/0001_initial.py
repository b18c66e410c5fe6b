import functools
from json import dumps, loads
from uuid import uuid4

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True
    dependencies: list[tuple[str, str]] = []

    operations = [
        ops.CreateModel(
            name="AssetPriceRecord",
            fields=[
                (
                    "asset_symbol",
                    fields.CharField(primary_key=True, unique=True, db_index=True, max_length=25),
                ),
                ("price", fields.FloatField()),
                ("timestamp", fields.BigIntField()),
                ("source_id", fields.CharField(null=True, max_length=128)),
            ],
            options={
                "table": "asset_price",
                "app": "notification",
                "pk_attr": "asset_symbol",
                "table_description": 'The last applied tick of each asset: the "previous price" of the crossing rule.',
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="IdempotencyRecord",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("scope", fields.CharField(max_length=200)),
                ("key", fields.CharField(max_length=255)),
                ("fingerprint", fields.CharField(max_length=64)),
                ("response_status", fields.IntField()),
                (
                    "response_body",
                    fields.JSONField(
                        null=True,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "response_headers",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "expires_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "idempotency_record",
                "app": "notification",
                "unique_together": (("scope", "key"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="NotificationRecord",
            fields=[
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("event_id", fields.UUIDField()),
                ("user_id", fields.UUIDField()),
                ("type", fields.CharField(max_length=32)),
                ("occurred_at", fields.CharField(max_length=40)),
                (
                    "data",
                    fields.JSONField(
                        encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("read_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "notification",
                "app": "notification",
                "unique_together": (("event_id", "user_id"),),
                "indexes": [
                    Index(fields=["user_id", "created_at"], name="idx_notification_user_created")
                ],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PriceAlertRecord",
            fields=[
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("user_id", fields.UUIDField()),
                ("asset_symbol", fields.CharField(max_length=25)),
                ("direction", fields.CharField(max_length=8)),
                ("threshold", fields.FloatField()),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("fired_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("fired_price", fields.FloatField(null=True)),
            ],
            options={
                "table": "price_alert",
                "app": "notification",
                "indexes": [
                    Index(
                        fields=["asset_symbol", "threshold"],
                        name="idx_price_alert_symbol_threshold",
                    ),
                    Index(fields=["user_id", "created_at"], name="idx_price_alert_user_created"),
                ],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
