from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("nft", "0001_initial")]

    initial = False

    operations = [
        ops.AddField(
            model_name="NftRecord",
            name="hidden",
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name="NftRecord",
            name="hidden_reason",
            field=fields.CharField(null=True, max_length=500),
        ),
    ]
