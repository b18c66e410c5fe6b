"""Analytics' API is read-only (its one write is gRPC ingest, deduplicated by source_id): no
operation takes an Idempotency-Key, so the table 0003 made for replays goes (issue 13)."""

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("analytics", "0003_idempotency")]

    initial = False

    operations = [ops.DeleteModel(name="IdempotencyRecord")]
