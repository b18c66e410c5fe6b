"""Use cases that only read: an NFT and a user's NFTs (as the contract's JSON, from the read
models), an NFT's metadata versions, its ownership on the chain, and the chain's own check."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from services.nft.domain.errors import NftNotFound
from services.nft.domain.ledger import ChainTransaction
from services.nft.domain.ledger_audit import ChainVerification
from services.nft.service_layer.use_cases import NftDeps, get_nft


async def nft_view(deps: NftDeps, nft_id: UUID) -> dict[str, Any]:
    """The NFT as the contract shows it, hidden ones too (their `hidden` says so)."""
    view = await deps.views.nft(nft_id)
    if view is None:
        raise NftNotFound(nft_id)
    return view


async def user_nfts_view(
    deps: NftDeps, owner_id: UUID, *, limit: int, offset: int
) -> list[dict[str, Any]]:
    """The owner's NFTs as the contract shows them: not hidden, newest first."""
    return await deps.views.owned_by(owner_id, limit=limit, offset=offset)


async def metadata_history_view(
    deps: NftDeps, nft_id: UUID, *, limit: int, offset: int
) -> list[dict[str, Any]]:
    """The NFT's metadata versions as the contract shows them, newest first; an unknown NFT
    is a 404, not an empty history."""
    versions = await deps.views.versions(nft_id, limit=limit, offset=offset)
    if versions is None:
        raise NftNotFound(nft_id)
    return versions


async def ownership_history(
    deps: NftDeps, nft_id: UUID, *, limit: int, offset: int
) -> Sequence[ChainTransaction]:
    nft = await get_nft(deps, nft_id)
    return await deps.chain.history(nft.token_id, limit=limit, offset=offset)


async def verify_chain(deps: NftDeps) -> ChainVerification:
    return await deps.chain.verify()
