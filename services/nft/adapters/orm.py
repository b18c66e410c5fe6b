"""Tortoise models of the nft database. Schema changes go through migrations/."""

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from services.common.idempotency_orm import TABLE as IDEMPOTENCY_TABLE
from services.common.idempotency_orm import UNIQUE as IDEMPOTENCY_UNIQUE
from services.common.idempotency_orm import IdempotencyRecordModel
from services.common.outbox_orm import INDEXES as OUTBOX_INDEXES
from services.common.outbox_orm import TABLE as OUTBOX_TABLE
from services.common.outbox_orm import OutboxMessageModel

CONNECTION = "nft"  # the service's connection and app name (services.common.database)
TX_HASH_LENGTH = 64  # SHA-256, hex
LEDGER_HEAD_ID = 1


class NftRecord(Model):
    id = fields.UUIDField(primary_key=True)
    name = fields.CharField(max_length=128)
    description = fields.CharField(max_length=2000)
    metadata = fields.JSONField()
    owner_id = fields.UUIDField()
    creator_id = fields.UUIDField()
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    hidden = fields.BooleanField(default=False)
    hidden_reason = fields.CharField(max_length=500, null=True)
    token_id = fields.BigIntField(unique=True)
    mint_tx_hash = fields.CharField(max_length=TX_HASH_LENGTH)
    last_tx_hash = fields.CharField(max_length=TX_HASH_LENGTH)
    # Of the descriptive fields; NFTs from before versions existed start at 1.
    version = fields.IntField(db_default=1)
    # The marketplace listing the owner approved the sale through, and that owner; both null
    # when there is no approval.
    sale_listing_id = fields.UUIDField(null=True)
    sale_approved_by = fields.UUIDField(null=True)

    class Meta:
        table = "nft"
        indexes = (Index(fields=("owner_id", "created_at"), name="idx_nft_owner_created"),)


# One metadata version of an NFT; rows are only ever added.
class NftVersionRecord(Model):
    id = fields.BigIntField(primary_key=True)
    nft_id = fields.UUIDField()
    version = fields.IntField()
    name = fields.CharField(max_length=128)
    description = fields.CharField(max_length=2000)
    metadata = fields.JSONField()
    changed_by = fields.UUIDField()
    changed_at = fields.DatetimeField()

    class Meta:
        table = "nft_version"
        # Two racing edits cannot both become version n; also serves "newest first".
        unique_together = (("nft_id", "version"),)


# One transaction of the local ledger (adapters/local_ledger.py); rows are only ever added.
class LedgerEntryRecord(Model):
    # The block number is the key: no two entries share one.
    block_number = fields.BigIntField(primary_key=True, generated=False)
    tx_hash = fields.CharField(max_length=TX_HASH_LENGTH, unique=True)
    # Unique: an entry has one successor, so the chain cannot fork.
    prev_hash = fields.CharField(max_length=TX_HASH_LENGTH, unique=True)
    kind = fields.CharField(max_length=16)
    token_id = fields.BigIntField()
    from_id = fields.UUIDField(null=True)
    to_id = fields.UUIDField()
    timestamp = fields.DatetimeField()

    class Meta:
        table = "ledger_entry"
        indexes = (Index(fields=("token_id", "block_number"), name="idx_ledger_token_block"),)


# The ledger's single head row: its last block, hash and token id. Appenders update it first,
# which queues them one at a time on any database; it also anchors verification.
class LedgerHeadRecord(Model):
    id = fields.SmallIntField(primary_key=True, generated=False)
    block_number = fields.BigIntField()
    tx_hash = fields.CharField(max_length=TX_HASH_LENGTH)
    last_token_id = fields.BigIntField()

    class Meta:
        table = "ledger_head"


# Idempotency-Key replays of this service's write operations.
class IdempotencyRecord(IdempotencyRecordModel):
    class Meta:
        table = IDEMPOTENCY_TABLE
        unique_together = IDEMPOTENCY_UNIQUE


# NFT events on their way to notification, written with the ledger entry they announce.
class OutboxMessage(OutboxMessageModel):
    class Meta:
        table = OUTBOX_TABLE
        indexes = OUTBOX_INDEXES
