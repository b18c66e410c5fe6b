"""The marketplace's side of nft, through the composition root with in-memory fakes: the owner's
sale approval, the marketplace's transfer of a sold NFT, and the receiver check of an owner's
transfer."""

from dataclasses import replace
from uuid import UUID, uuid4

import pytest

from services.nft.bootstrap import build_deps
from services.nft.domain.errors import (
    ConcurrentEdit,
    HiddenNotForSale,
    NftNotFound,
    NotApprovedForSale,
    NotNftOwner,
    SaleChangedMeanwhile,
    SellerNoLongerOwns,
    TransferToCurrentOwner,
    UnknownReceiver,
    UserServiceUnavailable,
)
from services.nft.domain.ledger import TxKind
from services.nft.domain.model import Nft, NftMetadata
from services.nft.service_layer import use_cases
from tests.support.clock import FakeClock
from tests.unit.nft_fakes import InMemoryNftRepository, InMemoryUserDirectory

pytestmark = pytest.mark.unit

ALICE, BOB, CAROL = uuid4(), uuid4(), uuid4()
LISTING, OTHER_LISTING = uuid4(), uuid4()


@pytest.fixture
def repo() -> InMemoryNftRepository:
    return InMemoryNftRepository()


@pytest.fixture
def users() -> InMemoryUserDirectory:
    return InMemoryUserDirectory(ALICE, BOB, CAROL)


@pytest.fixture
def deps(repo, users, clock: FakeClock) -> use_cases.NftDeps:
    return build_deps(repo, users, clock=clock)


async def mint(deps: use_cases.NftDeps, owner: UUID = ALICE) -> Nft:
    return await use_cases.mint_nft(
        deps, minter_id=owner, name="Ape", description="", metadata=NftMetadata()
    )


async def approved(deps: use_cases.NftDeps, owner: UUID = ALICE, listing: UUID = LISTING) -> Nft:
    nft = await mint(deps, owner)
    return await use_cases.approve_sale(deps, nft.id, caller_id=owner, listing_id=listing)


async def sell(deps, nft: Nft, *, listing=LISTING, seller=ALICE, buyer=BOB) -> Nft:
    return await use_cases.transfer_sold_nft(
        deps, nft_id=nft.id, listing_id=listing, seller_id=seller, buyer_id=buyer
    )


def transfers(repo: InMemoryNftRepository) -> list[tuple[UUID | None, UUID]]:
    return [(tx.from_id, tx.to_id) for tx in repo.chain.transactions if tx.kind is TxKind.TRANSFER]


# The owner's approval


async def test_the_owner_approves_a_sale_and_the_nft_carries_it(deps, repo, clock):
    nft = await mint(deps)
    clock.advance()
    approved_nft = await use_cases.approve_sale(deps, nft.id, caller_id=ALICE, listing_id=LISTING)
    assert approved_nft.sale_listing_id == LISTING
    assert approved_nft.updated_at == clock.now
    assert repo.nfts[nft.id].sale_listing_id == LISTING
    assert (await use_cases.get_nft(deps, nft.id)).sale_listing_id == LISTING


async def test_only_the_owner_approves(deps, repo):
    nft = await mint(deps)
    with pytest.raises(NotNftOwner):
        await use_cases.approve_sale(deps, nft.id, caller_id=BOB, listing_id=LISTING)
    assert repo.nfts[nft.id].sale_listing_id is None
    with pytest.raises(NftNotFound):
        await use_cases.approve_sale(deps, uuid4(), caller_id=ALICE, listing_id=LISTING)


async def test_a_new_approval_replaces_the_earlier_one(deps, repo):
    nft = await approved(deps)
    again = await use_cases.approve_sale(deps, nft.id, caller_id=ALICE, listing_id=OTHER_LISTING)
    assert again.sale_listing_id == OTHER_LISTING == repo.nfts[nft.id].sale_listing_id
    with pytest.raises(NotApprovedForSale):
        await sell(deps, nft, listing=LISTING)


async def test_a_hidden_nft_is_not_approved(deps, repo, clock):
    nft = await mint(deps)
    await use_cases.moderate_nft(deps, nft.id, hidden=True, reason="spam")
    with pytest.raises(HiddenNotForSale):
        await use_cases.approve_sale(deps, nft.id, caller_id=ALICE, listing_id=LISTING)
    assert repo.nfts[nft.id].sale_listing_id is None


async def test_an_approval_racing_a_transfer_is_not_stored(deps, repo, clock):
    nft = await mint(deps)

    def given_away(repo: InMemoryNftRepository) -> None:
        repo.nfts[nft.id] = repo.nfts[nft.id].transferred(by=ALICE, to=CAROL, at=clock.now)

    # The approval's write is conditional: the fake applies the interloper at `atomic` only,
    # so move the NFT by hand between our read and our write.
    original = repo.approve_sale

    async def after_a_transfer(nft_id, **kwargs):
        given_away(repo)
        return await original(nft_id, **kwargs)

    repo.approve_sale = after_a_transfer  # type: ignore[method-assign]
    with pytest.raises(ConcurrentEdit):
        await use_cases.approve_sale(deps, nft.id, caller_id=ALICE, listing_id=LISTING)
    assert (repo.nfts[nft.id].owner_id, repo.nfts[nft.id].sale_approval) == (CAROL, None)


async def test_the_owner_withdraws_the_approval(deps, repo):
    nft = await approved(deps)
    withdrawn = await use_cases.withdraw_sale_approval(deps, nft.id, caller_id=ALICE)
    assert withdrawn.sale_listing_id is None is repo.nfts[nft.id].sale_listing_id
    with pytest.raises(NotApprovedForSale):
        await sell(deps, nft)


async def test_withdrawing_for_another_listing_keeps_the_approval(deps, repo):
    nft = await approved(deps)
    kept = await use_cases.withdraw_sale_approval(
        deps, nft.id, caller_id=ALICE, listing_id=OTHER_LISTING
    )
    assert kept.sale_listing_id == LISTING == repo.nfts[nft.id].sale_listing_id
    gone = await use_cases.withdraw_sale_approval(deps, nft.id, caller_id=ALICE, listing_id=LISTING)
    assert gone.sale_listing_id is None is repo.nfts[nft.id].sale_listing_id


async def test_withdrawing_without_an_approval_changes_nothing(deps, repo):
    nft = await mint(deps)
    assert await use_cases.withdraw_sale_approval(deps, nft.id, caller_id=ALICE) == nft
    assert repo.nfts[nft.id] == nft


async def test_only_the_owner_withdraws(deps, repo):
    nft = await approved(deps)
    with pytest.raises(NotNftOwner):
        await use_cases.withdraw_sale_approval(deps, nft.id, caller_id=BOB)
    assert repo.nfts[nft.id].sale_listing_id == LISTING


# The marketplace's transfer


async def test_a_sale_moves_the_nft_on_the_chain_and_ends_the_approval(deps, repo, clock):
    nft = await approved(deps)
    clock.advance()
    sold = await sell(deps, nft)
    assert (sold.owner_id, sold.sale_listing_id) == (BOB, None)
    assert sold.updated_at == clock.now
    stored = repo.nfts[nft.id]
    assert (stored.owner_id, stored.sale_approval) == (BOB, None)
    assert transfers(repo) == [(ALICE, BOB)]
    assert sold.last_tx_hash == repo.chain.transactions[-1].tx_hash == stored.last_tx_hash


async def test_a_sale_announces_the_transfer_to_both_sides(deps, repo):
    nft = await approved(deps)
    sold = await sell(deps, nft)
    messages = sorted(repo.outbox.messages.values(), key=lambda m: m.id)
    transferred = [m.payload for m in messages if m.payload["type"] == "nft.transferred"]
    assert [p["userId"] for p in transferred] == [str(ALICE), str(BOB)]
    assert {p["data"]["toUserId"] for p in transferred} == {str(BOB)}
    assert len({p["eventId"] for p in transferred}) == 1
    assert sold.owner_id == BOB


async def test_a_sale_asks_nobody_about_the_buyer(deps, users):
    # The marketplace authenticated the buyer; nft has no token of theirs to ask with.
    nft = await approved(deps)
    buyer = uuid4()  # not in the fake directory
    assert (await sell(deps, nft, buyer=buyer)).owner_id == buyer
    assert users.asked == []


async def test_a_sale_through_another_listing_is_refused(deps, repo):
    nft = await approved(deps)
    with pytest.raises(NotApprovedForSale, match="not approved for sale through listing"):
        await sell(deps, nft, listing=OTHER_LISTING)
    assert repo.nfts[nft.id].owner_id == ALICE
    assert transfers(repo) == []


async def test_a_sale_without_any_approval_is_refused(deps, repo):
    nft = await mint(deps)
    with pytest.raises(NotApprovedForSale):
        await sell(deps, nft)
    assert transfers(repo) == []


async def test_a_sale_by_someone_not_owning_it_is_refused(deps, repo):
    nft = await approved(deps)
    with pytest.raises(SellerNoLongerOwns, match="the seller no longer owns it"):
        await sell(deps, nft, seller=CAROL, buyer=BOB)
    assert (repo.nfts[nft.id].owner_id, transfers(repo)) == (ALICE, [])


async def test_after_the_owner_gave_it_away_the_old_listing_sells_nothing(deps, repo):
    nft = await approved(deps)
    moved = await use_cases.transfer_nft(deps, nft.id, caller_id=ALICE, to_user_id=CAROL)
    assert moved.sale_listing_id is None is repo.nfts[nft.id].sale_listing_id
    with pytest.raises(SellerNoLongerOwns):
        await sell(deps, nft)
    # Nor may the new owner's NFT be sold through the listing the old owner made.
    with pytest.raises(NotApprovedForSale):
        await sell(deps, nft, seller=CAROL, buyer=BOB)
    assert transfers(repo) == [(ALICE, CAROL)]


async def test_a_sold_nft_is_not_sold_twice(deps, repo):
    nft = await approved(deps)
    await sell(deps, nft)
    with pytest.raises(SellerNoLongerOwns):
        await sell(deps, nft, buyer=CAROL)
    assert transfers(repo) == [(ALICE, BOB)]


async def test_the_buyer_cannot_be_the_seller(deps, repo):
    nft = await approved(deps)
    with pytest.raises(TransferToCurrentOwner):
        await sell(deps, nft, buyer=ALICE)
    assert transfers(repo) == []


async def test_a_hidden_nft_is_not_sold(deps, repo):
    nft = await approved(deps)
    await use_cases.moderate_nft(deps, nft.id, hidden=True, reason="stolen art")
    with pytest.raises(HiddenNotForSale):
        await sell(deps, nft)
    assert transfers(repo) == []


async def test_a_sale_of_an_unknown_nft_fails(deps):
    with pytest.raises(NftNotFound):
        await use_cases.transfer_sold_nft(
            deps, nft_id=uuid4(), listing_id=LISTING, seller_id=ALICE, buyer_id=BOB
        )


async def test_an_approval_withdrawn_during_the_sale_stops_it(deps, repo):
    nft = await approved(deps)
    repo.before_next_transaction(
        lambda r: r.nfts.update({nft.id: replace(r.nfts[nft.id], sale_approval=None)})
    )
    with pytest.raises(SaleChangedMeanwhile):
        await sell(deps, nft)
    assert (repo.nfts[nft.id].owner_id, transfers(repo)) == (ALICE, [])


# The receiver check of an owner's transfer


async def test_the_receiver_is_asked_of_the_user_service_with_the_callers_token(deps, users):
    nft = await mint(deps)
    await use_cases.transfer_nft(
        deps, nft.id, caller_id=ALICE, to_user_id=BOB, bearer_token="alices-token"
    )
    assert users.asked == [(BOB, "alices-token")]


async def test_an_unknown_receiver_is_refused_and_nothing_moves(deps, repo):
    nft = await mint(deps)
    stranger = uuid4()
    with pytest.raises(UnknownReceiver, match=str(stranger)):
        await use_cases.transfer_nft(deps, nft.id, caller_id=ALICE, to_user_id=stranger)
    assert (repo.nfts[nft.id], transfers(repo)) == (nft, [])
    assert [m.payload["type"] for m in repo.outbox.messages.values()] == ["nft.minted"]


async def test_a_user_service_outage_refuses_the_transfer(deps, repo, users):
    nft = await mint(deps)
    users.down()
    with pytest.raises(UserServiceUnavailable):
        await use_cases.transfer_nft(deps, nft.id, caller_id=ALICE, to_user_id=BOB)
    assert (repo.nfts[nft.id], transfers(repo)) == (nft, [])


async def test_the_receiver_is_checked_only_after_ownership(deps, users):
    nft = await mint(deps)
    with pytest.raises(NotNftOwner):
        await use_cases.transfer_nft(deps, nft.id, caller_id=BOB, to_user_id=uuid4())
    with pytest.raises(TransferToCurrentOwner):
        await use_cases.transfer_nft(deps, nft.id, caller_id=ALICE, to_user_id=ALICE)
    with pytest.raises(NftNotFound):
        await use_cases.transfer_nft(deps, uuid4(), caller_id=ALICE, to_user_id=BOB)
    assert users.asked == []
