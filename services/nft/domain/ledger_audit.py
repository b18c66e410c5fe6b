"""Checking a hash-chained ledger: every hash recomputed, every link and block number followed.

The audit takes transactions one at a time in block order, so a ledger of any length is
checked in bounded memory, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass

from services.nft.domain.ledger import FIRST_BLOCK, GENESIS_HASH, ChainTransaction, recomputed_hash


@dataclass(frozen=True)
class ChainVerification:
    entries: int
    first_invalid_block: int | None  # None: the whole chain checks out

    @property
    def valid(self) -> bool:
        return self.first_invalid_block is None


class ChainAudit:
    def __init__(self) -> None:
        self._entries = 0
        self._expected_block = FIRST_BLOCK
        self._prev_hash = GENESIS_HASH
        self._first_invalid: int | None = None

    def check(self, tx: ChainTransaction) -> None:
        """The next transaction in block order. The first one that is not what belongs at its
        position (tampered content, rewritten hash, broken link, missing or extra block) is
        reported by the block number that position should have."""
        intact = (
            tx.block_number == self._expected_block
            and tx.prev_hash == self._prev_hash
            and recomputed_hash(tx) == tx.tx_hash
        )
        if not intact:
            self._flag(self._expected_block)
        self._entries += 1
        # Follow what is stored, so one broken entry is not blamed on all after it.
        self._expected_block = tx.block_number + 1
        self._prev_hash = tx.tx_hash

    def check_anchor(self, block_number: int, tx_hash: str) -> None:
        """The last block and hash as recorded apart from the entries: a truncated tail, which
        links alone cannot reveal, shows as its first missing block."""
        if (block_number, tx_hash) != (self._expected_block - 1, self._prev_hash):
            self._flag(max(FIRST_BLOCK, min(block_number, self._expected_block)))

    def result(self) -> ChainVerification:
        return ChainVerification(entries=self._entries, first_invalid_block=self._first_invalid)

    def _flag(self, block_number: int) -> None:
        if self._first_invalid is None:
            self._first_invalid = block_number
