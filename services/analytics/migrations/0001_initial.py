from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True
    dependencies: list[tuple[str, str]] = []

    operations = [
        ops.CreateModel(
            name="MarketTickRecord",
            fields=[
                ("id", fields.UUIDField(primary_key=True)),
                ("asset_symbol", fields.CharField(max_length=25)),
                ("price", fields.FloatField()),
                ("timestamp", fields.BigIntField()),
                ("source_id", fields.CharField(max_length=128, null=True, unique=True)),
                ("received_at", fields.DatetimeField()),
            ],
            options={
                "table": "market_tick",
                "app": "analytics",
                "indexes": [
                    Index(fields=["asset_symbol", "timestamp"], name="idx_market_tick_symbol_ts")
                ],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
