from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True
    dependencies: list[tuple[str, str]] = []

    operations = [
        ops.CreateModel(
            name="NftRecord",
            fields=[
                ("id", fields.UUIDField(primary_key=True)),
                ("name", fields.CharField(max_length=128)),
                ("description", fields.CharField(max_length=2000)),
                ("metadata", fields.JSONField()),
                ("owner_id", fields.UUIDField()),
                ("creator_id", fields.UUIDField()),
                ("created_at", fields.DatetimeField()),
                ("updated_at", fields.DatetimeField()),
            ],
            options={
                "table": "nft",
                "app": "nft",
                "indexes": [Index(fields=["owner_id", "created_at"], name="idx_nft_owner_created")],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
