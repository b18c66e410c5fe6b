import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("user", "0002_access_and_sessions")]

    initial = False

    operations = [
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
                "app": "user",
                "unique_together": (("scope", "key"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
