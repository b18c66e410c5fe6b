"""The nft service's rules, through its composition root with in-memory fakes."""

from uuid import UUID, uuid4

import pytest

from services.nft.bootstrap import build_deps
from services.nft.domain.errors import (
    ConcurrentOwnershipChange,
    NftNotFound,
    NotNftOwner,
    TransferToCurrentOwner,
)
from services.nft.domain.model import Attribute, Nft, NftMetadata
from services.nft.service_layer import use_cases
from tests.support.clock import FakeClock
from tests.unit.nft_fakes import InMemoryNftRepository

pytestmark = pytest.mark.unit

ALICE, BOB = uuid4(), uuid4()


@pytest.fixture
def repo() -> InMemoryNftRepository:
    return InMemoryNftRepository()


@pytest.fixture
def deps(repo: InMemoryNftRepository, clock: FakeClock) -> use_cases.NftDeps:
    return build_deps(repo, clock=clock)


async def mint(deps: use_cases.NftDeps, owner: UUID = ALICE, name: str = "Ape") -> Nft:
    return await use_cases.mint_nft(
        deps, minter_id=owner, name=name, description="", metadata=NftMetadata()
    )


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
    assert await use_cases.list_user_nfts(deps, ALICE, limit=10, offset=0) == []
    assert [n.id for n in await use_cases.list_user_nfts(deps, BOB, limit=10, offset=0)] == [nft.id]


async def test_only_the_owner_may_transfer(deps, repo):
    nft = await mint(deps)
    with pytest.raises(NotNftOwner):
        await use_cases.transfer_nft(deps, nft.id, caller_id=BOB, to_user_id=BOB)
    assert repo.nfts[nft.id].owner_id == ALICE


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
    repo.steal_on_next_change = thief
    with pytest.raises(ConcurrentOwnershipChange):
        await use_cases.transfer_nft(deps, nft.id, caller_id=ALICE, to_user_id=BOB)
    assert repo.nfts[nft.id].owner_id == thief


async def test_listing_is_newest_first_and_paginated(deps, clock):
    names = []
    for index in range(5):
        names.append((await mint(deps, name=f"n{index}")).name)
        clock.advance()
    page1 = await use_cases.list_user_nfts(deps, ALICE, limit=2, offset=0)
    page2 = await use_cases.list_user_nfts(deps, ALICE, limit=2, offset=2)
    page3 = await use_cases.list_user_nfts(deps, ALICE, limit=2, offset=4)
    assert [n.name for n in page1 + page2 + page3] == names[::-1]
    assert await use_cases.list_user_nfts(deps, BOB, limit=2, offset=0) == []
