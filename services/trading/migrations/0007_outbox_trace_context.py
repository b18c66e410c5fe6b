"""Outbox messages keep the traceparent of the request that queued them: their delivery joins
that trace (services/common/tracing.py). Messages written before have none."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("trading", "0006_outbox_items")]

    initial = False

    operations = [
        ops.AddField(
            model_name="OutboxMessage",
            name="trace_context",
            field=fields.CharField(max_length=55, null=True),
        ),
    ]
