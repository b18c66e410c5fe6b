"""One function per use case of the nft service that changes something (reads: queries.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.nft.domain.errors import (
    ConcurrentEdit,
    ConcurrentOwnershipChange,
    NftError,
    NftNotFound,
    SaleChangedMeanwhile,
    UnknownReceiver,
)
from services.nft.domain.events import event_of
from services.nft.domain.ledger import ChainTransaction
from services.nft.domain.model import Nft, NftMetadata
from services.nft.mappers import event_to_messages
from services.nft.service_layer.ports import (
    Chain,
    NftRepository,
    NftViews,
    Outbox,
    UserDirectory,
)

# One message per (event, recipient): each is delivered, retried or parked on its own.
NOTIFICATION_TOPIC = "nft.events"


@dataclass(frozen=True)
class NftDeps:
    repository: NftRepository
    chain: Chain
    clock: Callable[[], datetime]
    new_id: Callable[[], UUID]
    outbox: Outbox
    wake_relay: Callable[[], None]  # after a commit: deliver now rather than at the next poll
    users: UserDirectory  # a transfer's receiver must be one of them
    views: NftViews  # the hot reads (queries.py)


async def _announce(deps: NftDeps, nft: Nft, tx: ChainTransaction) -> None:
    # Inside the caller's transaction: the event exists exactly when the ledger entry does.
    for payload in event_to_messages(event_of(nft, tx)):
        await deps.outbox.add(NOTIFICATION_TOPIC, payload)


async def mint_nft(
    deps: NftDeps, *, minter_id: UUID, name: str, description: str, metadata: NftMetadata
) -> Nft:
    now = deps.clock()
    # The token, the NFT and its first metadata version exist together or not at all.
    async with deps.repository.atomic():
        minted = await deps.chain.mint(to=minter_id, at=now)
        nft = Nft(
            id=deps.new_id(),
            name=name,
            description=description,
            metadata=metadata,
            owner_id=minter_id,
            creator_id=minter_id,
            created_at=now,
            updated_at=now,
            token_id=minted.token_id,
            mint_tx_hash=minted.tx_hash,
            last_tx_hash=minted.tx_hash,
        )
        await deps.repository.add_minted(nft, nft.details_version(by=minter_id))
        await _announce(deps, nft, minted)
    # Nested in an Idempotency-Key transaction this is not yet committed: the relay's next
    # poll, not this wake-up, finds the messages then.
    deps.wake_relay()
    return nft


async def get_nft(deps: NftDeps, nft_id: UUID) -> Nft:
    nft = await deps.repository.get(nft_id)
    if nft is None:
        raise NftNotFound(nft_id)
    return nft


async def transfer_nft(
    deps: NftDeps,
    nft_id: UUID,
    *,
    caller_id: UUID,
    to_user_id: UUID,
    bearer_token: str | None = None,
) -> Nft:
    nft = await get_nft(deps, nft_id)
    transferred = nft.transferred(by=caller_id, to=to_user_id, at=deps.clock())
    # After the owner check, so only the owner learns whether a user exists; before the
    # ledger transaction, so an unknown receiver leaves nothing to undo and the ledger is not
    # held while the user service answers.
    if not await deps.users.exists(to_user_id, bearer_token=bearer_token):
        raise UnknownReceiver(to_user_id)
    return await _record_transfer(deps, nft, transferred, ConcurrentOwnershipChange(nft_id))


async def transfer_sold_nft(
    deps: NftDeps, *, nft_id: UUID, listing_id: UUID, seller_id: UUID, buyer_id: UUID
) -> Nft:
    """The marketplace's transfer of a sold NFT. No receiver check: the marketplace took the
    buyer's own token for the purchase."""
    nft = await get_nft(deps, nft_id)
    sold = nft.sold(listing_id=listing_id, seller=seller_id, buyer=buyer_id, at=deps.clock())
    return await _record_transfer(
        deps, nft, sold, SaleChangedMeanwhile(nft_id), approved_listing=listing_id
    )


async def _record_transfer(
    deps: NftDeps,
    nft: Nft,
    transferred: Nft,
    lost_race: NftError,
    approved_listing: UUID | None = None,
) -> Nft:
    # The new owner and its chain record commit together: the ledger never disagrees with us.
    async with deps.repository.atomic():
        # Compare-and-set on the owner (and the sale approval) first: two racing transfers
        # cannot both win, a withdrawn approval sells nothing, and the loser appends nothing
        # to the chain.
        moved = await deps.repository.change_owner(
            nft.id,
            expected_owner=nft.owner_id,
            new_owner=transferred.owner_id,
            at=transferred.updated_at,
            approved_listing=approved_listing,
        )
        if not moved:
            raise lost_race
        tx = await deps.chain.transfer(
            nft.token_id, from_id=nft.owner_id, to=transferred.owner_id, at=transferred.updated_at
        )
        await deps.repository.record_transaction(nft.id, tx.tx_hash)
        await _announce(deps, nft, tx)
    deps.wake_relay()
    return transferred.recorded(tx.tx_hash)


async def update_nft(
    deps: NftDeps,
    nft_id: UUID,
    *,
    caller_id: UUID,
    name: str | None = None,
    description: str | None = None,
    metadata: NftMetadata | None = None,
) -> Nft:
    nft = await get_nft(deps, nft_id)
    changed = nft.updated(
        by=caller_id, at=deps.clock(), name=name, description=description, metadata=metadata
    )
    async with deps.repository.atomic():
        # Conditional on owner and version: a transfer racing this edit leaves the new owner's
        # NFT alone, and of two racing edits the second is refused rather than lost.
        stored = await deps.repository.update_details(
            changed, expected_owner=caller_id, expected_version=nft.version
        )
        if not stored:
            raise ConcurrentEdit(nft_id)
        await deps.repository.add_version(changed.details_version(by=caller_id))
    return changed


async def moderate_nft(deps: NftDeps, nft_id: UUID, *, hidden: bool, reason: str | None) -> Nft:
    nft = await get_nft(deps, nft_id)
    moderated = nft.moderated(hidden=hidden, reason=reason, at=deps.clock())
    if not await deps.repository.set_moderation(moderated):
        raise NftNotFound(nft_id)
    return moderated


async def approve_sale(deps: NftDeps, nft_id: UUID, *, caller_id: UUID, listing_id: UUID) -> Nft:
    nft = await get_nft(deps, nft_id)
    approved = nft.approved_for_sale(by=caller_id, listing_id=listing_id, at=deps.clock())
    # Conditional on owner and visibility: an owner who gave the NFT away (or saw it hidden)
    # meanwhile leaves no approval behind.
    stored = await deps.repository.approve_sale(
        nft_id, listing_id=listing_id, approved_by=caller_id, at=approved.updated_at
    )
    if not stored:
        raise ConcurrentEdit(nft_id)
    return approved


async def withdraw_sale_approval(
    deps: NftDeps, nft_id: UUID, *, caller_id: UUID, listing_id: UUID | None = None
) -> Nft:
    nft = await get_nft(deps, nft_id)
    withdrawn = nft.sale_withdrawn(by=caller_id, listing_id=listing_id, at=deps.clock())
    if withdrawn is nft:  # nothing (for that listing) to withdraw
        return nft
    removed = await deps.repository.withdraw_sale_approval(
        nft_id, approved_by=caller_id, listing_id=listing_id, at=withdrawn.updated_at
    )
    # Not removed: a transfer or another withdrawal ended it first; the NFT as it is now says so.
    return withdrawn if removed else await get_nft(deps, nft_id)
