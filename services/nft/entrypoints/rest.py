"""Connexion handlers of the nft API: parse -> use case -> contract shape. Nothing else."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.common.forwarding import callers_bearer_token
from services.nft.domain.model import Nft
from services.nft.mappers import (
    metadata_from_contract,
    nft_to_contract,
    ownership_to_contract,
    verification_to_contract,
)
from services.nft.service_layer import queries, use_cases
from services.nft.service_layer.use_cases import NftDeps


class NftHandlers:
    def __init__(self, deps: NftDeps) -> None:
        self._deps = deps

    async def mint_nft(self, body: dict[str, Any], user: str) -> tuple[dict[str, Any], int, dict]:
        nft: Nft = await use_cases.mint_nft(
            self._deps,
            minter_id=UUID(user),
            name=body["name"],
            description=body.get("description", ""),
            metadata=metadata_from_contract(body.get("metadata", {})),
        )
        return nft_to_contract(nft), 201, {"Location": f"/api/nfts/{nft.id}"}

    async def get_nft(self, nftId: str) -> dict[str, Any]:
        return await queries.nft_view(self._deps, UUID(nftId))

    async def list_user_nfts(self, userId: str, limit: int, offset: int) -> list[dict[str, Any]]:
        return await queries.user_nfts_view(self._deps, UUID(userId), limit=limit, offset=offset)

    async def transfer_nft(self, nftId: str, body: dict[str, Any], user: str) -> dict[str, Any]:
        nft = await use_cases.transfer_nft(
            self._deps,
            UUID(nftId),
            caller_id=UUID(user),
            to_user_id=UUID(body["toUserId"]),
            bearer_token=callers_bearer_token(),
        )
        return nft_to_contract(nft)

    async def approve_sale(self, nftId: str, body: dict[str, Any], user: str) -> dict[str, Any]:
        nft = await use_cases.approve_sale(
            self._deps, UUID(nftId), caller_id=UUID(user), listing_id=UUID(body["listingId"])
        )
        return nft_to_contract(nft)

    async def withdraw_sale_approval(
        self, nftId: str, user: str, listingId: str | None = None
    ) -> dict[str, Any]:
        nft = await use_cases.withdraw_sale_approval(
            self._deps,
            UUID(nftId),
            caller_id=UUID(user),
            listing_id=None if listingId is None else UUID(listingId),
        )
        return nft_to_contract(nft)

    async def transfer_sold_nft(self, body: dict[str, Any]) -> dict[str, Any]:
        nft = await use_cases.transfer_sold_nft(
            self._deps,
            nft_id=UUID(body["nftId"]),
            listing_id=UUID(body["listingId"]),
            seller_id=UUID(body["sellerId"]),
            buyer_id=UUID(body["buyerId"]),
        )
        return nft_to_contract(nft)

    async def update_nft(self, nftId: str, body: dict[str, Any], user: str) -> dict[str, Any]:
        metadata = body.get("metadata")
        nft = await use_cases.update_nft(
            self._deps,
            UUID(nftId),
            caller_id=UUID(user),
            name=body.get("name"),
            description=body.get("description"),
            metadata=None if metadata is None else metadata_from_contract(metadata),
        )
        return nft_to_contract(nft)

    async def get_nft_history(self, nftId: str, limit: int, offset: int) -> list[dict[str, Any]]:
        return await queries.metadata_history_view(
            self._deps, UUID(nftId), limit=limit, offset=offset
        )

    async def get_nft_ownership(self, nftId: str, limit: int, offset: int) -> list[dict[str, Any]]:
        txs = await queries.ownership_history(self._deps, UUID(nftId), limit=limit, offset=offset)
        return [ownership_to_contract(tx) for tx in txs]

    async def verify_ledger(self) -> dict[str, Any]:
        return verification_to_contract(await queries.verify_chain(self._deps))

    async def moderate_nft(self, nftId: str, body: dict[str, Any]) -> dict[str, Any]:
        nft = await use_cases.moderate_nft(
            self._deps, UUID(nftId), hidden=body["hidden"], reason=body.get("reason")
        )
        return nft_to_contract(nft)
