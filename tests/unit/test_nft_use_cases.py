"""The nft service's rules, through its composition root with in-memory fakes."""

from dataclasses import replace
from uuid import UUID, uuid4

import pytest

from services.common.timestamps import rfc3339
from services.nft.bootstrap import build_deps
from services.nft.domain.errors import (
    ChainRefused,
    ConcurrentEdit,
    ConcurrentOwnershipChange,
    NftNotFound,
    NotNftOwner,
    TransferToCurrentOwner,
)
from services.nft.domain.ledger import TxKind
from services.nft.domain.model import Attribute, Nft, NftMetadata
from services.nft.service_layer import queries, use_cases
from tests.support.clock import FakeClock
from tests.unit.nft_fakes import InMemoryChain, InMemoryNftRepository, InMemoryUserDirectory

pytestmark = pytest.mark.unit

ALICE, BOB, CAROL = uuid4(), uuid4(), uuid4()


@pytest.fixture
def repo() -> InMemoryNftRepository:
    return InMemoryNftRepository()


@pytest.fixture
def users() -> InMemoryUserDirectory:
    return InMemoryUserDirectory(ALICE, BOB, CAROL)


@pytest.fixture
def deps(
    repo: InMemoryNftRepository, users: InMemoryUserDirectory, clock: FakeClock
) -> use_cases.NftDeps:
    return build_deps(repo, users, clock=clock)


async def mint(deps: use_cases.NftDeps, owner: UUID = ALICE, name: str = "Ape") -> Nft:
    return await use_cases.mint_nft(
        deps, minter_id=owner, name=name, description="", metadata=NftMetadata()
    )


def steal(nft_id: UUID, thief: UUID):
    def change(repo: InMemoryNftRepository) -> None:
        repo.nfts[nft_id] = replace(repo.nfts[nft_id], owner_id=thief)

    return change


async def test_minting_makes_the_minter_owner_and_creator(deps, repo, clock):
    metadata = NftMetadata(
        image="https://img.example/1.png",
        attributes=(Attribute("eyes", "blue"),),
        creator="Alice",
    )
    nft = await use_cases.mint_nft(
        deps, minter_id=ALICE, name="Ape #1", description="first", metadata=metadata
    )
    assert (nft.owner_id, nft.creator_id) == (ALICE, ALICE)
    assert nft.created_at == nft.updated_at == clock.now
    assert repo.nfts[nft.id] == nft
    assert await use_cases.get_nft(deps, nft.id) == nft


async def test_minting_records_a_token_on_the_chain(deps, repo, clock):
    first, second = await mint(deps), await mint(deps, owner=BOB)
    [mint1, mint2] = repo.chain.transactions
    assert (first.token_id, second.token_id) == (1, 2)
    assert (mint1.kind, mint1.from_id, mint1.to_id, mint1.timestamp) == (
        TxKind.MINT,
        None,
        ALICE,
        clock.now,
    )
    assert first.mint_tx_hash == first.last_tx_hash == mint1.tx_hash
    assert second.mint_tx_hash == mint2.tx_hash
    assert mint2.prev_hash == mint1.tx_hash


async def test_getting_an_unknown_nft_fails(deps):
    with pytest.raises(NftNotFound):
        await use_cases.get_nft(deps, uuid4())


async def test_owner_transfers_and_the_nft_moves_lists(deps, clock):
    nft = await mint(deps)
    clock.advance(5)
    moved = await use_cases.transfer_nft(deps, nft.id, caller_id=ALICE, to_user_id=BOB)
    assert moved.owner_id == BOB
    assert moved.creator_id == ALICE
    assert moved.updated_at == clock.now != nft.created_at
    assert await queries.user_nfts_view(deps, ALICE, limit=10, offset=0) == []
    assert [n["id"] for n in await queries.user_nfts_view(deps, BOB, limit=10, offset=0)] == [
        str(nft.id)
    ]


async def test_a_transfer_is_recorded_on_the_chain(deps, repo, clock):
    nft = await mint(deps)
    clock.advance()
    moved = await use_cases.transfer_nft(deps, nft.id, caller_id=ALICE, to_user_id=BOB)
    transfer = repo.chain.transactions[-1]
    assert (transfer.kind, transfer.token_id, transfer.from_id, transfer.to_id) == (
        TxKind.TRANSFER,
        nft.token_id,
        ALICE,
        BOB,
    )
    assert transfer.timestamp == moved.updated_at
    assert moved.last_tx_hash == transfer.tx_hash == repo.nfts[nft.id].last_tx_hash
    assert moved.mint_tx_hash == nft.mint_tx_hash


async def test_ownership_history_is_the_tokens_transactions_oldest_first(deps, clock):
    nft = await mint(deps)
    await mint(deps)  # another token's transactions stay out of it
    for sender, receiver in ((ALICE, BOB), (BOB, CAROL), (CAROL, ALICE)):
        clock.advance()
        await use_cases.transfer_nft(deps, nft.id, caller_id=sender, to_user_id=receiver)
    history = await queries.ownership_history(deps, nft.id, limit=10, offset=0)
    assert [(tx.from_id, tx.to_id) for tx in history] == [
        (None, ALICE),
        (ALICE, BOB),
        (BOB, CAROL),
        (CAROL, ALICE),
    ]
    assert [tx.block_number for tx in history] == [1, 3, 4, 5]
    page = await queries.ownership_history(deps, nft.id, limit=2, offset=1)
    assert [tx.to_id for tx in page] == [BOB, CAROL]
    with pytest.raises(NftNotFound):
        await queries.ownership_history(deps, uuid4(), limit=10, offset=0)


async def test_only_the_owner_may_transfer(deps, repo):
    nft = await mint(deps)
    with pytest.raises(NotNftOwner):
        await use_cases.transfer_nft(deps, nft.id, caller_id=BOB, to_user_id=BOB)
    assert repo.nfts[nft.id].owner_id == ALICE
    assert len(repo.chain.transactions) == 1


async def test_transfer_to_the_current_owner_is_refused(deps):
    nft = await mint(deps)
    with pytest.raises(TransferToCurrentOwner):
        await use_cases.transfer_nft(deps, nft.id, caller_id=ALICE, to_user_id=ALICE)


async def test_transfer_of_an_unknown_nft_fails(deps):
    with pytest.raises(NftNotFound):
        await use_cases.transfer_nft(deps, uuid4(), caller_id=ALICE, to_user_id=BOB)


async def test_a_racing_owner_change_wins_and_ours_is_refused(deps, repo):
    nft = await mint(deps)
    thief = uuid4()
    repo.before_next_transaction(steal(nft.id, thief))
    with pytest.raises(ConcurrentOwnershipChange):
        await use_cases.transfer_nft(deps, nft.id, caller_id=ALICE, to_user_id=BOB)
    assert repo.nfts[nft.id].owner_id == thief
    assert len(repo.chain.transactions) == 1  # the loser recorded nothing


class FailsAfterRecording:
    """A chain whose transfer is recorded, and then the operation fails."""

    def __init__(self, inner: InMemoryChain) -> None:
        self.inner = inner

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    async def transfer(self, token_id, **kwargs):
        await self.inner.transfer(token_id, **kwargs)
        raise RuntimeError("the process died after the chain recorded the transfer")


async def test_a_failure_after_the_chain_records_undoes_both(repo, users, clock):
    deps = build_deps(repo, users, clock=clock, chain=FailsAfterRecording(repo.chain))
    nft = await mint(deps)
    with pytest.raises(RuntimeError):
        await use_cases.transfer_nft(deps, nft.id, caller_id=ALICE, to_user_id=BOB)
    assert repo.nfts[nft.id] == nft
    assert [tx.kind for tx in repo.chain.transactions] == [TxKind.MINT]


async def test_the_chain_refuses_a_transfer_it_disagrees_with(deps, repo, clock):
    nft = await mint(deps)
    # The chain says CAROL owns the token already: nothing may change here either.
    await repo.chain.transfer(nft.token_id, from_id=ALICE, to=CAROL, at=clock.now)
    with pytest.raises(ChainRefused):
        await use_cases.transfer_nft(deps, nft.id, caller_id=ALICE, to_user_id=BOB)
    assert repo.nfts[nft.id].owner_id == ALICE
    assert len(repo.chain.transactions) == 2


async def test_every_change_of_details_is_a_version_newest_first(deps, clock):
    nft = await mint(deps, name="v1")
    for name in ("v2", "v3"):
        clock.advance()
        changed = await use_cases.update_nft(deps, nft.id, caller_id=ALICE, name=name)
    assert changed.version == 3
    history = await queries.metadata_history_view(deps, nft.id, limit=10, offset=0)
    assert [(v["version"], v["name"]) for v in history] == [(3, "v3"), (2, "v2"), (1, "v1")]
    assert history[-1]["changedAt"] == rfc3339(nft.created_at)
    assert history[0]["changedAt"] == rfc3339(changed.updated_at)
    assert {v["changedBy"] for v in history} == {str(ALICE)}
    page = await queries.metadata_history_view(deps, nft.id, limit=1, offset=1)
    assert [v["version"] for v in page] == [2]


async def test_a_new_owner_edits_and_is_named_in_the_history(deps):
    nft = await mint(deps)
    await use_cases.transfer_nft(deps, nft.id, caller_id=ALICE, to_user_id=BOB)
    with pytest.raises(NotNftOwner):
        await use_cases.update_nft(deps, nft.id, caller_id=ALICE, name="still mine")
    await use_cases.update_nft(deps, nft.id, caller_id=BOB, description="Bob's now")
    history = await queries.metadata_history_view(deps, nft.id, limit=10, offset=0)
    assert [(v["version"], v["changedBy"], v["description"]) for v in history] == [
        (2, str(BOB), "Bob's now"),
        (1, str(ALICE), ""),
    ]


async def test_an_edit_racing_another_is_refused_not_lost(deps, repo):
    nft = await mint(deps)

    def their_edit(repo: InMemoryNftRepository) -> None:
        repo.nfts[nft.id] = replace(repo.nfts[nft.id], name="theirs", version=2)

    repo.before_next_transaction(their_edit)
    with pytest.raises(ConcurrentEdit):
        await use_cases.update_nft(deps, nft.id, caller_id=ALICE, description="ours")
    assert (repo.nfts[nft.id].name, repo.nfts[nft.id].description) == ("theirs", "")
    assert [v.version for v in await repo.versions(nft.id, limit=10, offset=0)] == [1]


async def test_history_of_an_unknown_nft_fails(deps):
    with pytest.raises(NftNotFound):
        await queries.metadata_history_view(deps, uuid4(), limit=10, offset=0)


async def test_the_chain_verifies_and_a_tampered_transaction_is_found(deps, repo):
    nft = await mint(deps)
    await use_cases.transfer_nft(deps, nft.id, caller_id=ALICE, to_user_id=BOB)
    await mint(deps)
    verdict = await queries.verify_chain(deps)
    assert (verdict.entries, verdict.valid) == (3, True)
    repo.chain.transactions[1] = replace(repo.chain.transactions[1], to_id=CAROL)
    verdict = await queries.verify_chain(deps)
    assert (verdict.valid, verdict.first_invalid_block) == (False, 2)


async def test_listing_is_newest_first_and_paginated(deps, clock):
    names = []
    for index in range(5):
        names.append((await mint(deps, name=f"n{index}")).name)
        clock.advance()
    page1 = await queries.user_nfts_view(deps, ALICE, limit=2, offset=0)
    page2 = await queries.user_nfts_view(deps, ALICE, limit=2, offset=2)
    page3 = await queries.user_nfts_view(deps, ALICE, limit=2, offset=4)
    assert [n["name"] for n in page1 + page2 + page3] == names[::-1]
    assert await queries.user_nfts_view(deps, BOB, limit=2, offset=0) == []
