"""The nft read models on SQL: an NFT, a user's NFTs and an NFT's metadata versions as the
contract's JSON, one statement each, for the hot reads. Writes go through the repository and
the domain model.

They answer exactly what `nft_to_contract` and `version_to_contract` make of the repository's
NFTs and versions (an integration test holds them to it on both databases): same keys in the
same order, same timestamps, the sale approval only while its giver still owns the NFT."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.common.sql_views import Dialect, contract_timestamp, fetch, statement
from services.nft.adapters.orm import CONNECTION
from services.nft.mappers import stored_metadata_to_contract


def _nft_columns(d: Dialect) -> str:
    # Aliased to the contract's names, in its order: the row is the answer but for a few fields.
    return f"""CAST(id AS TEXT) AS "id", name AS "name", description AS "description",
        metadata AS "metadata", CAST(owner_id AS TEXT) AS "ownerId",
        CAST(creator_id AS TEXT) AS "creatorId", {d.timestamp("created_at")} AS "createdAt",
        {d.timestamp("updated_at")} AS "updatedAt", hidden AS "hidden",
        hidden_reason AS "hiddenReason", token_id AS "tokenId", mint_tx_hash AS "mintTxHash",
        last_tx_hash AS "lastTxHash", version AS "version",
        CAST(CASE WHEN sale_approved_by = owner_id THEN sale_listing_id END AS TEXT)
            AS "saleListingId"
    FROM nft"""


_ONE = statement(lambda d: f"SELECT {_nft_columns(d)} WHERE id = {d.param(1)}")
# As TortoiseNftRepository.list_by_owner: not hidden, newest first, ties by id.
_OWNED_BY = statement(
    lambda d: (
        f"""SELECT {_nft_columns(d)}
    WHERE owner_id = {d.param(1)} AND hidden = {d.param(2)}
    ORDER BY created_at DESC, id LIMIT {d.param(3)} OFFSET {d.param(4)}"""
    )
)


_VERSIONS = statement(
    lambda d: (
        f"""SELECT version AS "version", name AS "name", description AS "description",
        metadata AS "metadata", CAST(changed_by AS TEXT) AS "changedBy",
        {d.timestamp("changed_at")} AS "changedAt"
    FROM nft_version WHERE nft_id = {d.param(1)}
    ORDER BY version DESC LIMIT {d.param(2)} OFFSET {d.param(3)}"""
    )
)
_EXISTS = statement(lambda d: f"SELECT 1 AS found FROM nft WHERE id = {d.param(1)}")


def _to_contract(row: dict[str, Any]) -> dict[str, Any]:
    row["metadata"] = stored_metadata_to_contract(row["metadata"])
    row["createdAt"] = contract_timestamp(row["createdAt"])
    row["updatedAt"] = contract_timestamp(row["updatedAt"])
    row["hidden"] = bool(row["hidden"])  # SQLite answers 0 or 1
    return row


def _version_to_contract(row: dict[str, Any]) -> dict[str, Any]:
    row["metadata"] = stored_metadata_to_contract(row["metadata"])
    row["changedAt"] = contract_timestamp(row["changedAt"])
    return row


class SqlNftViews:
    async def nft(self, nft_id: UUID) -> dict[str, Any] | None:
        rows = await fetch(CONNECTION, _ONE, str(nft_id))
        return _to_contract(rows[0]) if rows else None

    async def owned_by(self, owner_id: UUID, *, limit: int, offset: int) -> list[dict[str, Any]]:
        rows = await fetch(CONNECTION, _OWNED_BY, str(owner_id), False, limit, offset)
        return [_to_contract(row) for row in rows]

    async def versions(
        self, nft_id: UUID, *, limit: int, offset: int
    ) -> list[dict[str, Any]] | None:
        rows = await fetch(CONNECTION, _VERSIONS, str(nft_id), limit, offset)
        # A version exists only with its NFT (minted together; NFTs are never deleted): only
        # an empty page needs asking whether the NFT does.
        if not rows and not await fetch(CONNECTION, _EXISTS, str(nft_id)):
            return None
        return [_version_to_contract(row) for row in rows]
