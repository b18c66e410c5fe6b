from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True
    dependencies: list[tuple[str, str]] = []

    operations = [
        ops.CreateModel(
            name="MarketDataTickRecord",
            fields=[
                ("id", fields.UUIDField(primary_key=True)),
                ("asset_symbol", fields.CharField(max_length=25)),
                ("price", fields.FloatField()),
                ("timestamp", fields.BigIntField()),
                ("received_at", fields.DatetimeField()),
            ],
            options={
                "table": "market_data_tick",
                "app": "trading",
                "indexes": [
                    Index(
                        fields=["asset_symbol", "timestamp", "received_at"],
                        name="idx_market_data_tick_symbol_ts",
                    )
                ],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
