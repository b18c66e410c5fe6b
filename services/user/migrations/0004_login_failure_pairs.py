"""Login failures counted per (account, address) and per address instead of per key string.

The old rows (keys "account:<name>", "client:<address>") are dropped with their table: they
are at most one throttle window old, and in the new scheme they would only linger."""

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("user", "0003_idempotency")]

    initial = False

    operations = [
        ops.DeleteModel(name="LoginFailureRecord"),
        ops.CreateModel(
            name="LoginFailureRecord",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("account", fields.CharField(max_length=32)),
                ("address", fields.CharField(max_length=64)),
                (
                    "failed_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "login_failure",
                "app": "user",
                "indexes": [
                    Index(
                        fields=["account", "address", "failed_at"], name="idx_login_failure_pair"
                    ),
                    Index(fields=["address", "failed_at"], name="idx_login_failure_address"),
                ],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
