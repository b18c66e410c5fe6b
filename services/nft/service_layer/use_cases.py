"""One function per use case of the nft service."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.nft.domain.errors import ConcurrentOwnershipChange, NftNotFound
from services.nft.domain.model import Nft, NftMetadata
from services.nft.service_layer.ports import NftRepository


@dataclass(frozen=True)
class NftDeps:
    repository: NftRepository
    clock: Callable[[], datetime]
    new_id: Callable[[], UUID]


async def mint_nft(
    deps: NftDeps, *, minter_id: UUID, name: str, description: str, metadata: NftMetadata
) -> Nft:
    now = deps.clock()
    nft = Nft(
        id=deps.new_id(),
        name=name,
        description=description,
        metadata=metadata,
        owner_id=minter_id,
        creator_id=minter_id,
        created_at=now,
        updated_at=now,
    )
    await deps.repository.add(nft)
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
    # Compare-and-set on the owner: two racing transfers cannot both win.
    moved = await deps.repository.change_owner(
        nft_id, expected_owner=caller_id, new_owner=to_user_id, at=transferred.updated_at
    )
    if not moved:
        raise ConcurrentOwnershipChange(nft_id)
    return transferred


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
    # Conditional on the owner: a transfer racing this edit leaves the new owner's NFT alone.
    if not await deps.repository.update_details(changed, expected_owner=caller_id):
        raise ConcurrentOwnershipChange(nft_id)
    return changed


async def moderate_nft(deps: NftDeps, nft_id: UUID, *, hidden: bool, reason: str | None) -> Nft:
    nft = await get_nft(deps, nft_id)
    moderated = nft.moderated(hidden=hidden, reason=reason, at=deps.clock())
    if not await deps.repository.set_moderation(moderated):
        raise NftNotFound(nft_id)
    return moderated
