"""The ledger's hash chain: how a transaction is hashed and linked, and how verification finds
the first entry that was tampered with, unlinked, or lost."""

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from uuid import uuid4

import pytest

from services.nft.domain.ledger import (
    GENESIS_HASH,
    ChainTransaction,
    TxKind,
    next_transaction,
    recomputed_hash,
    transaction_hash,
)
from services.nft.domain.ledger_audit import ChainAudit, ChainVerification

pytestmark = pytest.mark.unit

ALICE, BOB = uuid4(), uuid4()
T0 = datetime(2026, 1, 1, 12, 30, tzinfo=UTC)


def a_chain(length: int) -> list[ChainTransaction]:
    """Token 1 minted to ALICE, then passed back and forth."""
    chain: list[ChainTransaction] = []
    for index in range(length):
        prev = chain[-1] if chain else None
        sender, receiver = (ALICE, BOB) if index % 2 else (BOB, ALICE)
        chain.append(
            next_transaction(
                block_number=index + 1,
                prev_hash=prev.tx_hash if prev else GENESIS_HASH,
                kind=TxKind.TRANSFER if prev else TxKind.MINT,
                token_id=1,
                from_id=sender if prev else None,
                to_id=receiver,
                at=T0 + timedelta(seconds=index),
            )
        )
    return chain


def verify(chain: list[ChainTransaction], anchor: tuple[int, str] | None = None):
    audit = ChainAudit()
    for tx in chain:
        audit.check(tx)
    if anchor:
        audit.check_anchor(*anchor)
    return audit.result()


def test_the_hash_is_sha256_of_the_canonical_json_including_prev_hash():
    tx = a_chain(2)[1]
    canonical = (
        f'{{"blockNumber":2,"from":"{tx.from_id}","kind":"transfer","prevHash":"{tx.prev_hash}",'
        f'"timestamp":"2026-01-01T12:30:01.000000Z","to":"{tx.to_id}","tokenId":1}}'
    )
    assert json.loads(canonical)  # well-formed, keys sorted, no whitespace
    assert tx.tx_hash == hashlib.sha256(canonical.encode()).hexdigest()


def test_one_instant_hashes_the_same_in_any_zone():
    tx = a_chain(1)[0]
    elsewhere = T0.astimezone(timezone(timedelta(hours=5, minutes=30)))
    assert recomputed_hash(replace(tx, timestamp=elsewhere)) == tx.tx_hash


def test_every_field_is_part_of_the_hash():
    tx = a_chain(2)[1]
    changes = {
        "block_number": 3,
        "prev_hash": "f" * 64,
        "kind": TxKind.MINT,
        "token_id": 2,
        "from_id": uuid4(),
        "to_id": uuid4(),
        "timestamp": tx.timestamp + timedelta(microseconds=1),
    }
    for name, value in changes.items():
        assert recomputed_hash(replace(tx, **{name: value})) != tx.tx_hash, name


def test_naive_timestamps_and_senderless_transfers_are_refused():
    with pytest.raises(ValueError):
        transaction_hash(
            block_number=1,
            prev_hash=GENESIS_HASH,
            kind=TxKind.MINT,
            token_id=1,
            from_id=None,
            to_id=ALICE,
            timestamp=datetime(2026, 1, 1),
        )
    with pytest.raises(ValueError):
        next_transaction(
            block_number=1,
            prev_hash=GENESIS_HASH,
            kind=TxKind.TRANSFER,
            token_id=1,
            from_id=None,
            to_id=ALICE,
            at=T0,
        )


def test_an_intact_chain_verifies():
    chain = a_chain(5)
    assert chain[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.tx_hash for a, b in pairwise(chain))
    assert verify(chain, anchor=(5, chain[-1].tx_hash)) == ChainVerification(5, None)
    assert verify([]).valid


def test_a_tampered_entry_is_the_first_invalid_block():
    chain = a_chain(5)
    chain[2] = replace(chain[2], to_id=uuid4())  # block 3 now says someone else got it
    result = verify(chain)
    assert (result.valid, result.first_invalid_block, result.entries) == (False, 3, 5)


def test_a_rehashed_entry_breaks_the_link_from_the_next():
    chain = a_chain(5)
    forged = replace(chain[2], to_id=uuid4())
    chain[2] = replace(forged, tx_hash=recomputed_hash(forged))
    assert verify(chain).first_invalid_block == 4


def test_a_missing_or_reordered_block_is_found():
    chain = a_chain(5)
    assert verify(chain[:2] + chain[3:]).first_invalid_block == 3
    assert verify([chain[0], chain[2], chain[1], *chain[3:]]).first_invalid_block == 2


def test_the_anchor_reveals_a_truncated_tail_and_a_rewritten_last_entry():
    chain = a_chain(5)
    assert verify(chain[:3], anchor=(5, chain[-1].tx_hash)).first_invalid_block == 4
    assert verify(chain, anchor=(5, "e" * 64)).first_invalid_block == 5
    assert verify([], anchor=(2, chain[1].tx_hash)).first_invalid_block == 1
