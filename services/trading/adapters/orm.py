"""Tortoise models of the trading database. Schema changes go through migrations/."""

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from services.common.idempotency_orm import TABLE as IDEMPOTENCY_TABLE
from services.common.idempotency_orm import UNIQUE as IDEMPOTENCY_UNIQUE
from services.common.idempotency_orm import IdempotencyRecordModel
from services.common.outbox_orm import INDEXES as OUTBOX_INDEXES
from services.common.outbox_orm import TABLE as OUTBOX_TABLE
from services.common.outbox_orm import OutboxMessageModel

CONNECTION = "trading"  # the service's connection (services.common.database)


class MarketDataTickRecord(Model):
    id = fields.UUIDField(primary_key=True)
    asset_symbol = fields.CharField(max_length=25)
    price = fields.FloatField()
    timestamp = fields.BigIntField()  # Unix time in milliseconds
    received_at = fields.DatetimeField()
    quantity = fields.FloatField(db_default=0.0)  # a column default: old rows are quotes

    class Meta:
        table = "market_data_tick"
        # Serves "recent ticks of one asset, newest first".
        indexes = (
            Index(
                fields=("asset_symbol", "timestamp", "received_at"),
                name="idx_market_data_tick_symbol_ts",
            ),
        )


# Idempotency-Key replays of this service's write operations.
class IdempotencyRecord(IdempotencyRecordModel):
    class Meta:
        table = IDEMPOTENCY_TABLE
        unique_together = IDEMPOTENCY_UNIQUE


# Ticks on their way to analytics and notification, written with the tick.
class OutboxMessage(OutboxMessageModel):
    class Meta:
        table = OUTBOX_TABLE
        indexes = OUTBOX_INDEXES


# --- the marketplace: money in whole cents (exact and comparable on SQLite and PostgreSQL) --


class WalletRecord(Model):
    user_id = fields.UUIDField(primary_key=True)
    available_cents = fields.BigIntField(default=0)
    held_cents = fields.BigIntField(default=0)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "wallet"


class WalletEntryRecord(Model):
    """Append-only: every balance change, so a wallet is the sum of its entries."""

    id = fields.UUIDField(primary_key=True)
    user_id = fields.UUIDField()
    reason = fields.CharField(max_length=16)  # deposit, hold, release, settle, payout
    available_delta_cents = fields.BigIntField()
    held_delta_cents = fields.BigIntField()
    purchase_id = fields.UUIDField(null=True)
    reference = fields.CharField(max_length=255, null=True)  # the payment provider's
    created_at = fields.DatetimeField()

    class Meta:
        table = "wallet_entry"
        indexes = (Index(fields=("user_id", "created_at"), name="idx_wallet_entry_user"),)


class ListingRecord(Model):
    id = fields.UUIDField(primary_key=True)
    nft_id = fields.UUIDField()
    seller_id = fields.UUIDField()
    price_cents = fields.BigIntField()
    status = fields.CharField(max_length=16)
    # The NFT's id while the listing is active or reserved, else NULL: its unique index lets
    # an NFT have one open listing (NULLs never collide, on SQLite and PostgreSQL alike).
    open_nft_id = fields.UUIDField(null=True, unique=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "listing"
        indexes = (
            Index(fields=("nft_id", "created_at"), name="idx_listing_nft"),
            Index(fields=("seller_id", "created_at"), name="idx_listing_seller"),
            Index(fields=("status", "created_at"), name="idx_listing_status"),
        )


class PurchaseRecord(Model):
    id = fields.UUIDField(primary_key=True)
    buyer_id = fields.UUIDField()
    idempotency_key = fields.CharField(max_length=255)
    listing_id = fields.UUIDField()
    nft_id = fields.UUIDField()
    seller_id = fields.UUIDField()
    price_cents = fields.BigIntField()
    status = fields.CharField(max_length=16)
    failure_reason = fields.CharField(max_length=500, null=True)
    sale_id = fields.UUIDField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "purchase"
        # The purchase is the record of its Idempotency-Key: one per buyer and key.
        unique_together = (("buyer_id", "idempotency_key"),)
        indexes = (Index(fields=("status", "updated_at"), name="idx_purchase_status_updated"),)


class SaleRecord(Model):
    id = fields.UUIDField(primary_key=True)
    listing_id = fields.UUIDField()
    purchase_id = fields.UUIDField(unique=True)
    nft_id = fields.UUIDField()
    seller_id = fields.UUIDField()
    buyer_id = fields.UUIDField()
    price_cents = fields.BigIntField()
    nft_tx_hash = fields.CharField(max_length=64, null=True)
    completed_at = fields.DatetimeField()

    class Meta:
        table = "sale"
        indexes = (Index(fields=("nft_id", "completed_at"), name="idx_sale_nft"),)
