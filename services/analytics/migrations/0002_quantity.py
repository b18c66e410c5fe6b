from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_initial")]

    initial = False

    operations = [
        ops.AddField(
            model_name="MarketTickRecord",
            name="notional",
            field=fields.FloatField(db_default=0.0),
        ),
        ops.AddField(
            model_name="MarketTickRecord",
            name="quantity",
            field=fields.FloatField(db_default=0.0),
        ),
    ]
