from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("trading", "0002_idempotency")]

    initial = False

    operations = [
        ops.AddField(
            model_name="MarketDataTickRecord",
            name="quantity",
            field=fields.FloatField(db_default=0.0),
        ),
    ]
