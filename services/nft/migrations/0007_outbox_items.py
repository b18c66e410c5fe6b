"""Outbox bundles: how many items a message carries (1 for every message written before), and
the head-of-topic index extended with it, so a batch is counted in items from the index alone."""

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("nft", "0006_sale_approval")]

    initial = False

    operations = [
        ops.AddField(
            model_name="OutboxMessage",
            name="items",
            field=fields.IntField(db_default=1),
        ),
        ops.RemoveIndex(model_name="OutboxMessage", name="idx_outbox_topic_parked_id"),
        ops.AddIndex(
            model_name="OutboxMessage",
            index=Index(
                fields=["topic", "parked_at", "id", "items"],
                name="idx_outbox_topic_parked_id_items",
            ),
        ),
    ]
