"""The marketplace's sale approval: the listing an NFT's owner approved its sale through, and
that owner (both null: no approval)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("nft", "0005_outbox")]

    initial = False

    operations = [
        ops.AddField(
            model_name="NftRecord",
            name="sale_approved_by",
            field=fields.UUIDField(null=True),
        ),
        ops.AddField(
            model_name="NftRecord",
            name="sale_listing_id",
            field=fields.UUIDField(null=True),
        ),
    ]
