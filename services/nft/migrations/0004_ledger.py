"""The chain ledger, metadata versions, and each NFT's token.

NFTs from before this migration are backfilled rather than left without a token: every NFT
then has a tokenId and a mintTxHash, its ownership history is never empty, and verifying the
chain covers all of them. In creation order, each gets a mint to its creator at its creation
time, then those whose owner changed a transfer from creator to owner at their last update
(the owners in between were never recorded). Version 1 of each NFT's details is them as found
now, attributed to the creator at creation. The columns are added nullable, filled, and then
made NOT NULL, all in this migration's one transaction.
"""

import functools
from datetime import UTC, datetime
from json import dumps, loads
from typing import Any

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

# The same hashing as every later entry: an entry's hash is part of what it is.
from services.nft.domain.ledger import GENESIS_HASH, TxKind, next_transaction

BATCH = 500
RESTORE_OWNER_INDEX = (
    'CREATE INDEX IF NOT EXISTS "idx_nft_owner_created" ON "nft" ("owner_id", "created_at")'
)


def _utc(moment: datetime) -> datetime:
    # Tortoise stores UTC; a backend may hand it back without the zone.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class _Ledger:
    """Appends backfilled entries in one pass, as the live ledger would."""

    def __init__(self, apps: Any, db: Any) -> None:
        self._entries = apps.get_model("nft", "LedgerEntryRecord")
        self._db = db
        self.block, self.tx_hash, self.token_id = 0, GENESIS_HASH, 0

    async def append(self, kind: TxKind, token_id: int, sender: Any, to: Any, at: datetime) -> str:
        self.block += 1
        tx = next_transaction(
            block_number=self.block,
            prev_hash=self.tx_hash,
            kind=kind,
            token_id=token_id,
            from_id=sender,
            to_id=to,
            at=_utc(at),
        )
        await self._entries.create(
            using_db=self._db,
            block_number=tx.block_number,
            tx_hash=tx.tx_hash,
            prev_hash=tx.prev_hash,
            kind=tx.kind.value,
            token_id=tx.token_id,
            from_id=tx.from_id,
            to_id=tx.to_id,
            timestamp=tx.timestamp,
        )
        self.tx_hash = tx.tx_hash
        return tx.tx_hash


async def _pages(model: Any, db: Any, *order: str) -> Any:
    offset = 0
    while page := await model.all().using_db(db).order_by(*order).offset(offset).limit(BATCH):
        for record in page:
            yield record
        offset += len(page)


async def backfill(apps: Any, schema_editor: Any) -> None:
    db = schema_editor.client
    nfts = apps.get_model("nft", "NftRecord")
    versions = apps.get_model("nft", "NftVersionRecord")
    ledger = _Ledger(apps, db)
    async for nft in _pages(nfts, db, "created_at", "id"):
        ledger.token_id += 1
        minted = await ledger.append(
            TxKind.MINT, ledger.token_id, None, nft.creator_id, nft.created_at
        )
        await (
            nfts.filter(id=nft.id)
            .using_db(db)
            .update(token_id=ledger.token_id, mint_tx_hash=minted, last_tx_hash=minted)
        )
        await versions.create(
            using_db=db,
            nft_id=nft.id,
            version=1,
            name=nft.name,
            description=nft.description,
            metadata=nft.metadata,
            changed_by=nft.creator_id,
            changed_at=nft.created_at,
        )
    async for nft in _pages(nfts, db, "updated_at", "id"):
        if nft.owner_id != nft.creator_id:
            moved = await ledger.append(
                TxKind.TRANSFER, nft.token_id, nft.creator_id, nft.owner_id, nft.updated_at
            )
            await nfts.filter(id=nft.id).using_db(db).update(last_tx_hash=moved)
    await apps.get_model("nft", "LedgerHeadRecord").create(
        using_db=db,
        id=1,
        block_number=ledger.block,
        tx_hash=ledger.tx_hash,
        last_token_id=ledger.token_id,
    )


class Migration(migrations.Migration):
    dependencies = [("nft", "0003_idempotency")]

    initial = False

    operations = [
        ops.CreateModel(
            name="LedgerEntryRecord",
            fields=[
                (
                    "block_number",
                    fields.BigIntField(
                        generated=False, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("tx_hash", fields.CharField(unique=True, max_length=64)),
                ("prev_hash", fields.CharField(unique=True, max_length=64)),
                ("kind", fields.CharField(max_length=16)),
                ("token_id", fields.BigIntField()),
                ("from_id", fields.UUIDField(null=True)),
                ("to_id", fields.UUIDField()),
                ("timestamp", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "ledger_entry",
                "app": "nft",
                "indexes": [
                    Index(fields=["token_id", "block_number"], name="idx_ledger_token_block")
                ],
                "pk_attr": "block_number",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="LedgerHeadRecord",
            fields=[
                (
                    "id",
                    fields.SmallIntField(
                        generated=False, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("block_number", fields.BigIntField()),
                ("tx_hash", fields.CharField(max_length=64)),
                ("last_token_id", fields.BigIntField()),
            ],
            options={"table": "ledger_head", "app": "nft", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="NftVersionRecord",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("nft_id", fields.UUIDField()),
                ("version", fields.IntField()),
                ("name", fields.CharField(max_length=128)),
                ("description", fields.CharField(max_length=2000)),
                (
                    "metadata",
                    fields.JSONField(
                        encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("changed_by", fields.UUIDField()),
                ("changed_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "nft_version",
                "app": "nft",
                "unique_together": (("nft_id", "version"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="NftRecord",
            name="last_tx_hash",
            field=fields.CharField(max_length=64, null=True),
        ),
        ops.AddField(
            model_name="NftRecord",
            name="mint_tx_hash",
            field=fields.CharField(max_length=64, null=True),
        ),
        ops.AddField(
            model_name="NftRecord",
            name="token_id",
            field=fields.BigIntField(unique=True, null=True),
        ),
        ops.AddField(
            model_name="NftRecord",
            name="version",
            field=fields.IntField(db_default=1),
        ),
        ops.RunPython(backfill),
        ops.AlterField(
            model_name="NftRecord",
            name="last_tx_hash",
            field=fields.CharField(max_length=64),
        ),
        ops.AlterField(
            model_name="NftRecord",
            name="mint_tx_hash",
            field=fields.CharField(max_length=64),
        ),
        ops.AlterField(
            model_name="NftRecord",
            name="token_id",
            field=fields.BigIntField(unique=True),
        ),
        # On SQLite the NOT NULL changes rebuild the table, and Tortoise does not re-create
        # its indexes; on PostgreSQL the index is still there and this does nothing.
        ops.RunSQL(RESTORE_OWNER_INDEX),
    ]
