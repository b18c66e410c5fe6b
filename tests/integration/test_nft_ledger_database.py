"""The local ledger on real databases (SQLite and PostgreSQL): concurrent appends make one
valid chain, a chain record and the ownership change commit or roll back together, and
verification finds tampering in the stored rows."""

import asyncio
from datetime import timedelta
from uuid import UUID, uuid4

import pytest
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from services.common.database import service_database
from services.nft.adapters.local_ledger import LocalLedgerChain
from services.nft.adapters.orm import LedgerEntryRecord, LedgerHeadRecord
from services.nft.adapters.repository import TortoiseNftRepository
from services.nft.bootstrap import build_deps
from services.nft.config import NftSettings
from services.nft.domain.ledger import TxKind
from services.nft.domain.model import NftMetadata
from services.nft.service_layer import use_cases
from services.nft.service_layer.use_cases import NftDeps
from tests.integration.conftest import migrated_and_open
from tests.unit.nft_fakes import InMemoryUserDirectory

pytestmark = pytest.mark.integration

ALICE, BOB = uuid4(), uuid4()


@pytest.fixture
async def database(database_url):
    async with migrated_and_open(service_database("nft", NftSettings(database_url=database_url))):
        yield


@pytest.fixture
def users() -> InMemoryUserDirectory:
    return InMemoryUserDirectory(ALICE, BOB)


@pytest.fixture
def deps(database, users) -> NftDeps:
    return build_deps(TortoiseNftRepository(), users)


async def mint(deps: NftDeps, owner: UUID = ALICE):
    return await use_cases.mint_nft(
        deps, minter_id=owner, name="Ape", description="", metadata=NftMetadata()
    )


async def verdict(deps: NftDeps) -> tuple[int, int | None]:
    result = await deps.chain.verify()
    return result.entries, result.first_invalid_block


async def test_concurrent_mints_make_one_valid_chain_with_unique_token_ids(deps):
    nfts = await asyncio.gather(*(mint(deps, owner=uuid4()) for _ in range(20)))
    assert sorted(nft.token_id for nft in nfts) == list(range(1, 21))
    assert await verdict(deps) == (20, None)
    for nft in nfts:
        [minted] = await deps.chain.history(nft.token_id, limit=10, offset=0)
        assert (minted.tx_hash, minted.to_id, minted.kind) == (
            nft.mint_tx_hash,
            nft.owner_id,
            TxKind.MINT,
        )


async def test_concurrent_transfers_and_mints_keep_the_chain_valid(deps):
    nfts = [await mint(deps) for _ in range(5)]
    await asyncio.gather(
        *(use_cases.transfer_nft(deps, n.id, caller_id=ALICE, to_user_id=BOB) for n in nfts),
        *(mint(deps) for _ in range(10)),
    )
    assert await verdict(deps) == (20, None)
    head = await LedgerHeadRecord.get(id=1)
    assert (head.block_number, head.last_token_id) == (20, 15)
    for nft in nfts:
        stored = await deps.repository.get(nft.id)
        history = await deps.chain.history(nft.token_id, limit=10, offset=0)
        assert [(tx.from_id, tx.to_id) for tx in history] == [(None, ALICE), (ALICE, BOB)]
        assert stored.last_tx_hash == history[-1].tx_hash


async def test_racing_transfers_of_one_nft_record_one(deps, users):
    nft = await mint(deps)
    receivers = [uuid4() for _ in range(5)]
    users.add(*receivers)
    results = await asyncio.gather(
        *(use_cases.transfer_nft(deps, nft.id, caller_id=ALICE, to_user_id=r) for r in receivers),
        return_exceptions=True,
    )
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1
    history = await deps.chain.history(nft.token_id, limit=10, offset=0)
    assert [tx.to_id for tx in history] == [ALICE, winners[0].owner_id]
    assert await verdict(deps) == (2, None)


class FailsAfterRecording:
    """The ledger records the transfer; then the operation fails before it commits."""

    def __init__(self, inner: LocalLedgerChain) -> None:
        self.inner = inner

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    async def transfer(self, token_id, **kwargs):
        await self.inner.transfer(token_id, **kwargs)
        raise RuntimeError("failed after the ledger append")


@pytest.mark.parametrize("enclosed", [False, True], ids=["alone", "in-a-transaction"])
async def test_a_failure_after_the_ledger_append_rolls_back_both(database, users, enclosed):
    # Enclosed: as under an Idempotency-Key, whose transaction wraps the handler (the use
    # case's own is then a savepoint, and the enclosing one goes on).
    repo = TortoiseNftRepository()
    deps = build_deps(repo, users, chain=FailsAfterRecording(LocalLedgerChain()))
    nft = await mint(deps)
    if enclosed:
        async with in_transaction("nft"):
            with pytest.raises(RuntimeError):
                await use_cases.transfer_nft(deps, nft.id, caller_id=ALICE, to_user_id=BOB)
            after = await mint(deps)
        assert after.token_id == 2
    else:
        with pytest.raises(RuntimeError):
            await use_cases.transfer_nft(deps, nft.id, caller_id=ALICE, to_user_id=BOB)
    assert await repo.get(nft.id) == nft
    assert [tx.kind for tx in await deps.chain.history(1, limit=10, offset=0)] == [TxKind.MINT]
    assert await verdict(deps) == (2 if enclosed else 1, None)


async def test_a_mint_whose_nft_cannot_be_stored_leaves_no_token(database, users):
    taken = uuid4()
    deps = build_deps(TortoiseNftRepository(), users, new_id=lambda: taken)
    await mint(deps)
    with pytest.raises(IntegrityError):
        await mint(deps)  # the same NFT id again: the insert fails after the ledger append
    assert await verdict(deps) == (1, None)
    deps = build_deps(TortoiseNftRepository(), users)
    assert (await mint(deps)).token_id == 2


async def test_the_schema_refuses_a_fork_or_a_reused_block(deps):
    await mint(deps)
    first = await LedgerEntryRecord.get(block_number=1)
    fields = {
        "kind": "mint",
        "token_id": 99,
        "from_id": None,
        "to_id": BOB,
        "timestamp": first.timestamp,
    }
    with pytest.raises(IntegrityError):  # a second successor of the genesis
        await LedgerEntryRecord.create(
            block_number=2, tx_hash="b" * 64, prev_hash=first.prev_hash, **fields
        )
    with pytest.raises(IntegrityError):  # a second block 1
        await LedgerEntryRecord.create(
            block_number=1, tx_hash="c" * 64, prev_hash=first.tx_hash, **fields
        )


async def _shift_timestamp() -> None:
    entry = await LedgerEntryRecord.get(block_number=3)
    later = entry.timestamp + timedelta(microseconds=1)
    await LedgerEntryRecord.filter(block_number=3).update(timestamp=later)


TAMPERINGS = {
    "receiver changed": lambda: LedgerEntryRecord.filter(block_number=3).update(to_id=uuid4()),
    "token changed": lambda: LedgerEntryRecord.filter(block_number=3).update(token_id=7),
    "timestamp changed": _shift_timestamp,
    "block deleted": lambda: LedgerEntryRecord.filter(block_number=3).delete(),
    "head rewound": lambda: LedgerHeadRecord.filter(id=1).update(tx_hash="d" * 64),
}
FIRST_INVALID = {"head rewound": 4}


@pytest.mark.parametrize("tampering", sorted(TAMPERINGS))
async def test_verification_finds_rows_changed_behind_its_back(deps, tampering):
    for owner in (ALICE, BOB, ALICE, BOB):
        await mint(deps, owner=owner)
    assert await verdict(deps) == (4, None)
    await TAMPERINGS[tampering]()
    assert (await verdict(deps))[1] == FIRST_INVALID.get(tampering, 3)


async def test_verification_reads_the_chain_a_page_at_a_time(deps, monkeypatch):
    monkeypatch.setattr("services.nft.adapters.local_ledger.VERIFY_PAGE", 3)
    for _ in range(7):
        await mint(deps)
    assert await verdict(deps) == (7, None)
    await LedgerEntryRecord.filter(block_number=7).delete()  # the tail, past the last page
    assert await verdict(deps) == (6, 7)
