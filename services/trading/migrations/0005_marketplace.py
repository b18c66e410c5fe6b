from uuid import uuid4

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("trading", "0004_outbox")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ListingRecord",
            fields=[
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("nft_id", fields.UUIDField()),
                ("seller_id", fields.UUIDField()),
                ("price_cents", fields.BigIntField()),
                ("status", fields.CharField(max_length=16)),
                ("open_nft_id", fields.UUIDField(null=True, unique=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "listing",
                "app": "trading",
                "indexes": [
                    Index(fields=["nft_id", "created_at"], name="idx_listing_nft"),
                    Index(fields=["seller_id", "created_at"], name="idx_listing_seller"),
                    Index(fields=["status", "created_at"], name="idx_listing_status"),
                ],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PurchaseRecord",
            fields=[
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("buyer_id", fields.UUIDField()),
                ("idempotency_key", fields.CharField(max_length=255)),
                ("listing_id", fields.UUIDField()),
                ("nft_id", fields.UUIDField()),
                ("seller_id", fields.UUIDField()),
                ("price_cents", fields.BigIntField()),
                ("status", fields.CharField(max_length=16)),
                ("failure_reason", fields.CharField(null=True, max_length=500)),
                ("sale_id", fields.UUIDField(null=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "purchase",
                "app": "trading",
                "unique_together": (("buyer_id", "idempotency_key"),),
                "indexes": [
                    Index(fields=["status", "updated_at"], name="idx_purchase_status_updated")
                ],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SaleRecord",
            fields=[
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("listing_id", fields.UUIDField()),
                ("purchase_id", fields.UUIDField(unique=True)),
                ("nft_id", fields.UUIDField()),
                ("seller_id", fields.UUIDField()),
                ("buyer_id", fields.UUIDField()),
                ("price_cents", fields.BigIntField()),
                ("nft_tx_hash", fields.CharField(null=True, max_length=64)),
                ("completed_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "sale",
                "app": "trading",
                "indexes": [Index(fields=["nft_id", "completed_at"], name="idx_sale_nft")],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="WalletEntryRecord",
            fields=[
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("user_id", fields.UUIDField()),
                ("reason", fields.CharField(max_length=16)),
                ("available_delta_cents", fields.BigIntField()),
                ("held_delta_cents", fields.BigIntField()),
                ("purchase_id", fields.UUIDField(null=True)),
                ("reference", fields.CharField(null=True, max_length=255)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "wallet_entry",
                "app": "trading",
                "indexes": [Index(fields=["user_id", "created_at"], name="idx_wallet_entry_user")],
                "pk_attr": "id",
                "table_description": "Append-only: every balance change, so a wallet is the sum of its entries.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="WalletRecord",
            fields=[
                (
                    "user_id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("available_cents", fields.BigIntField(default=0)),
                ("held_cents", fields.BigIntField(default=0)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "wallet", "app": "trading", "pk_attr": "user_id"},
            bases=["Model"],
        ),
    ]
