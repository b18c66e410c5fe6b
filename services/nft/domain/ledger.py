"""Chain transactions and the rules of a hash-chained ledger. Pure Python.

Every transaction's hash is SHA-256 over the canonical JSON (sorted keys, no whitespace, UTF-8)
of all its fields but the hash itself, `prevHash` included: changing a transaction breaks its
own hash, and rewriting that hash breaks the link from the next one. Any ledger of these
transactions (the local one, the fakes in tests) must build and check them with this module.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from uuid import UUID

GENESIS_HASH = "0" * 64  # the prevHash of block 1
FIRST_BLOCK = 1


class TxKind(StrEnum):
    MINT = "mint"
    TRANSFER = "transfer"


@dataclass(frozen=True)
class ChainTransaction:
    """One ledger entry: a token minted to `to_id`, or moved from `from_id` to `to_id`."""

    tx_hash: str
    block_number: int
    prev_hash: str
    kind: TxKind
    token_id: int
    from_id: UUID | None  # None for a mint
    to_id: UUID
    timestamp: datetime


def canonical_timestamp(moment: datetime) -> str:
    """UTC with microseconds and `Z`: one spelling per instant, whatever stored it."""
    if moment.tzinfo is None:
        raise ValueError("ledger timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def transaction_hash(
    *,
    block_number: int,
    prev_hash: str,
    kind: TxKind,
    token_id: int,
    from_id: UUID | None,
    to_id: UUID,
    timestamp: datetime,
) -> str:
    content = {
        "blockNumber": block_number,
        "prevHash": prev_hash,
        "kind": str(kind),
        "tokenId": token_id,
        "from": None if from_id is None else str(from_id),
        "to": str(to_id),
        "timestamp": canonical_timestamp(timestamp),
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def recomputed_hash(tx: ChainTransaction) -> str:
    return transaction_hash(
        block_number=tx.block_number,
        prev_hash=tx.prev_hash,
        kind=tx.kind,
        token_id=tx.token_id,
        from_id=tx.from_id,
        to_id=tx.to_id,
        timestamp=tx.timestamp,
    )


def next_transaction(
    *,
    block_number: int,
    prev_hash: str,
    kind: TxKind,
    token_id: int,
    from_id: UUID | None,
    to_id: UUID,
    at: datetime,
) -> ChainTransaction:
    """The transaction at `block_number`, linked to the one before it by `prev_hash`."""
    if (kind is TxKind.MINT) != (from_id is None):
        raise ValueError("a mint has no sender; a transfer has one")
    fields = {
        "block_number": block_number,
        "prev_hash": prev_hash,
        "kind": kind,
        "token_id": token_id,
        "from_id": from_id,
        "to_id": to_id,
    }
    return ChainTransaction(
        tx_hash=transaction_hash(**fields, timestamp=at), timestamp=at, **fields
    )
