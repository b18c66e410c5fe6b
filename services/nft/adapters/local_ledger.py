"""LocalLedgerChain: the default `Chain`, a stand-in for a blockchain kept in the nft database.

An append-only, hash-chained ledger (the rules are in domain/ledger.py): each mint or transfer
is one entry, with the next block number, the previous entry's hash, and a token id counted up
per ledger at each mint. It shares the service's database, so an entry commits in the same
transaction as the ownership change it records; swap it for a real chain client through the
`Chain` port (service_layer/ports.py).

Concurrent appends: every append first bumps the single head row. On PostgreSQL that row lock
queues appenders until the holder's transaction ends, and each then reads the head its
predecessor committed. SQLite has one writer at a time (and Tortoise one transaction at a time
per process); the use cases' transactions write before they read (a mint starts here, a
transfer with its owner update), so instances sharing the file take turns on that lock too.
(After an earlier read in the same transaction, SQLite refuses the write if another instance
committed meanwhile: the request fails whole.) The unique block number and prev hash are the
backstop: a fork cannot commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from services.common.sql_inserts import insert_step
from services.common.sql_trips import fetch_together
from services.common.sql_views import fetch, statement
from services.common.transactions import joined_transaction
from services.nft.adapters.orm import (
    CONNECTION,
    LEDGER_HEAD_ID,
    LedgerEntryRecord,
    LedgerHeadRecord,
)
from services.nft.domain.errors import ChainRefused
from services.nft.domain.ledger import GENESIS_HASH, ChainTransaction, TxKind, next_transaction
from services.nft.domain.ledger_audit import ChainAudit, ChainVerification

VERIFY_PAGE = 1000  # entries read at a time while verifying


class LedgerMissing(RuntimeError):
    def __init__(self) -> None:
        super().__init__("the ledger has no head row: is the nft database migrated?")


def to_transaction(record: LedgerEntryRecord) -> ChainTransaction:
    return ChainTransaction(
        tx_hash=record.tx_hash,
        block_number=record.block_number,
        prev_hash=record.prev_hash,
        kind=TxKind(record.kind),
        token_id=record.token_id,
        from_id=record.from_id,
        to_id=record.to_id,
        timestamp=record.timestamp,
    )


class LocalLedgerChain:
    async def mint(self, *, to: UUID, at: datetime) -> ChainTransaction:
        return await self._append(TxKind.MINT, token_id=None, from_id=None, to_id=to, at=at)

    async def transfer(
        self, token_id: int, *, from_id: UUID, to: UUID, at: datetime
    ) -> ChainTransaction:
        return await self._append(
            TxKind.TRANSFER, token_id=token_id, from_id=from_id, to_id=to, at=at
        )

    async def history(
        self, token_id: int, *, limit: int, offset: int
    ) -> Sequence[ChainTransaction]:
        records = (
            await LedgerEntryRecord.filter(token_id=token_id)
            .order_by("block_number")
            .offset(offset)
            .limit(limit)
        )
        return [to_transaction(r) for r in records]

    async def verify(self) -> ChainVerification:
        # The head first: entries appended while we read lie beyond it and wait for next time.
        head = await LedgerHeadRecord.get_or_none(id=LEDGER_HEAD_ID)
        end, end_hash = (head.block_number, head.tx_hash) if head else (0, GENESIS_HASH)
        audit = ChainAudit()
        after = 0
        while True:
            page = (
                await LedgerEntryRecord.filter(block_number__gt=after, block_number__lte=end)
                .order_by("block_number")
                .limit(VERIFY_PAGE)
            )
            for record in page:
                audit.check(to_transaction(record))
            if len(page) < VERIFY_PAGE:
                break
            after = page[-1].block_number
        audit.check_anchor(end, end_hash)
        return audit.result()

    async def _append(
        self,
        kind: TxKind,
        *,
        token_id: int | None,
        from_id: UUID | None,
        to_id: UUID,
        at: datetime,
    ) -> ChainTransaction:
        # Its own transaction, or the caller's (every use case appends inside its atomic block,
        # which an error leaving here rolls back): entry and head move together. Prepared
        # statements (every mint and transfer runs these): the ORM compiled each one through
        # pypika and built a model per row.
        async with joined_transaction(CONNECTION):
            claim = _CLAIM_MINT if kind is TxKind.MINT else _CLAIM
            rows = await fetch(CONNECTION, claim, LEDGER_HEAD_ID)
            if not rows:
                raise LedgerMissing()
            head = rows[0]
            if token_id is None:
                token_id = int(head["last_token_id"])
            else:
                await _check_owner(token_id, from_id)
            tx = next_transaction(
                block_number=int(head["block_number"]),
                prev_hash=head["tx_hash"],
                kind=kind,
                token_id=token_id,
                from_id=from_id,
                to_id=to_id,
                at=at,
            )
            entry = {
                "block_number": tx.block_number,
                "tx_hash": tx.tx_hash,
                "prev_hash": tx.prev_hash,
                "kind": tx.kind.value,
                "token_id": tx.token_id,
                "from_id": tx.from_id,
                "to_id": tx.to_id,
                "timestamp": tx.timestamp,
            }
            await fetch_together(
                CONNECTION,
                insert_step(LedgerEntryRecord, entry),  # its unique keys: no fork
                (_HEAD_HASH, (tx.tx_hash, LEDGER_HEAD_ID)),
            )
        return tx


# The head is claimed (bumped) and read back in one statement: RETURNING (SQLite ≥ 3.35).
_HEAD = "RETURNING block_number, tx_hash, last_token_id"
_CLAIM = statement(
    lambda d: (
        f"UPDATE ledger_head SET block_number = block_number + 1 WHERE id = {d.param(1)} " + _HEAD
    )
)
_CLAIM_MINT = statement(
    lambda d: (
        "UPDATE ledger_head SET block_number = block_number + 1, "
        f"last_token_id = last_token_id + 1 WHERE id = {d.param(1)} " + _HEAD
    )
)
_OWNER = statement(
    lambda d: (
        f"SELECT to_id FROM ledger_entry WHERE token_id = {d.param(1)} "
        "ORDER BY block_number DESC LIMIT 1"
    )
)
_HEAD_HASH = statement(
    lambda d: f"UPDATE ledger_head SET tx_hash = {d.param(1)} WHERE id = {d.param(2)}"
)


async def _check_owner(token_id: int, sender: UUID | None) -> None:
    """A chain moves a token only for its owner: the receiver of its latest entry."""
    rows = await fetch(CONNECTION, _OWNER, token_id)
    if not rows or UUID(str(rows[0]["to_id"])) != sender:
        raise ChainRefused(token_id)
