"""Use cases that only read: an NFT's metadata versions, its ownership on the chain, and the
chain's own check."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from services.nft.domain.ledger import ChainTransaction
from services.nft.domain.ledger_audit import ChainVerification
from services.nft.domain.model import MetadataVersion
from services.nft.service_layer.use_cases import NftDeps, get_nft


async def metadata_history(
    deps: NftDeps, nft_id: UUID, *, limit: int, offset: int
) -> Sequence[MetadataVersion]:
    await get_nft(deps, nft_id)  # an unknown NFT is a 404, not an empty history
    return await deps.repository.versions(nft_id, limit=limit, offset=offset)


async def ownership_history(
    deps: NftDeps, nft_id: UUID, *, limit: int, offset: int
) -> Sequence[ChainTransaction]:
    nft = await get_nft(deps, nft_id)
    return await deps.chain.history(nft.token_id, limit=limit, offset=offset)


async def verify_chain(deps: NftDeps) -> ChainVerification:
    return await deps.chain.verify()
