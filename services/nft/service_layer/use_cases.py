"""One function per use case of the nft service that changes something (reads: queries.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.nft.domain.errors import ConcurrentEdit, ConcurrentOwnershipChange, NftNotFound
from services.nft.domain.events import event_of
from services.nft.domain.ledger import ChainTransaction
from services.nft.domain.model import Nft, NftMetadata
from services.nft.mappers import event_to_messages
from services.nft.service_layer.ports import Chain, NftRepository, Outbox

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
        await deps.repository.add(nft)
        await deps.repository.add_version(nft.details_version(by=minter_id))
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


async def list_user_nfts(
    deps: NftDeps, owner_id: UUID, *, limit: int, offset: int
) -> Sequence[Nft]:
    return await deps.repository.list_by_owner(owner_id, limit=limit, offset=offset)


async def transfer_nft(deps: NftDeps, nft_id: UUID, *, caller_id: UUID, to_user_id: UUID) -> Nft:
    nft = await get_nft(deps, nft_id)
    transferred = nft.transferred(by=caller_id, to=to_user_id, at=deps.clock())
    # The new owner and its chain record commit together: the ledger never disagrees with us.
    async with deps.repository.atomic():
        # Compare-and-set on the owner first: two racing transfers cannot both win, and the
        # loser appends nothing to the chain.
        moved = await deps.repository.change_owner(
            nft_id, expected_owner=caller_id, new_owner=to_user_id, at=transferred.updated_at
        )
        if not moved:
            raise ConcurrentOwnershipChange(nft_id)
        tx = await deps.chain.transfer(
            nft.token_id, from_id=caller_id, to=to_user_id, at=transferred.updated_at
        )
        await deps.repository.record_transaction(nft_id, tx.tx_hash)
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
