"""Tortoise models of the analytics database. Schema changes go through migrations/."""

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class MarketTickRecord(Model):
    id = fields.UUIDField(primary_key=True)
    asset_symbol = fields.CharField(max_length=25)
    price = fields.FloatField()
    timestamp = fields.BigIntField()  # Unix time in milliseconds
    # NULL for sources without ids; unique so that a retried tick is stored once.
    source_id = fields.CharField(max_length=128, null=True, unique=True)
    received_at = fields.DatetimeField()
    # 0: a price quote, not a trade. A database default, so that ticks stored before the
    # column existed read as quotes.
    quantity = fields.FloatField(db_default=0.0)
    # price * quantity, computed on the way in: the database only adds it up. (PostgreSQL
    # refuses a product that underflows, and a price may be as small as 5e-324.)
    notional = fields.FloatField(db_default=0.0)

    class Meta:
        table = "market_tick"
        # Serves the per-asset aggregates and the "latest tick" lookups.
        indexes = (Index(fields=("asset_symbol", "timestamp"), name="idx_market_tick_symbol_ts"),)
