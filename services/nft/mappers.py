"""The one place where the nft contract's JSON (and notification's event input) meets domain
objects."""

from __future__ import annotations

from typing import Any

import orjson

from services.common.timestamps import rfc3339
from services.nft.domain.events import NftEvent
from services.nft.domain.ledger import ChainTransaction
from services.nft.domain.ledger_audit import ChainVerification
from services.nft.domain.model import Attribute, MetadataVersion, Nft, NftMetadata


def metadata_from_contract(data: dict[str, Any]) -> NftMetadata:
    return NftMetadata(
        image=data.get("image"),
        attributes=tuple(
            Attribute(trait_type=a["traitType"], value=a["value"])
            for a in data.get("attributes", [])
        ),
        creator=data.get("creator"),
    )


def metadata_to_contract(metadata: NftMetadata) -> dict[str, Any]:
    data: dict[str, Any] = {
        "attributes": [{"traitType": a.trait_type, "value": a.value} for a in metadata.attributes]
    }
    if metadata.image is not None:
        data["image"] = metadata.image
    if metadata.creator is not None:
        data["creator"] = metadata.creator
    return data


def stored_metadata_to_contract(stored: str) -> dict[str, Any]:
    """Metadata as its JSON column holds it (the contract's shape, but PostgreSQL's jsonb keeps
    keys in its own order) as `metadata_to_contract` writes it, without the domain objects."""
    data = orjson.loads(stored)
    contract: dict[str, Any] = {
        "attributes": [
            {"traitType": a["traitType"], "value": a["value"]} for a in data.get("attributes", [])
        ]
    }
    if (image := data.get("image")) is not None:
        contract["image"] = image
    if (creator := data.get("creator")) is not None:
        contract["creator"] = creator
    return contract


def nft_to_contract(nft: Nft) -> dict[str, Any]:
    return {
        "id": str(nft.id),
        "name": nft.name,
        "description": nft.description,
        "metadata": metadata_to_contract(nft.metadata),
        "ownerId": str(nft.owner_id),
        "creatorId": str(nft.creator_id),
        "createdAt": rfc3339(nft.created_at),
        "updatedAt": rfc3339(nft.updated_at),
        "hidden": nft.hidden,
        "hiddenReason": nft.hidden_reason,
        "tokenId": nft.token_id,
        "mintTxHash": nft.mint_tx_hash,
        "lastTxHash": nft.last_tx_hash,
        "version": nft.version,
        "saleListingId": None if nft.sale_listing_id is None else str(nft.sale_listing_id),
    }


def version_to_contract(version: MetadataVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "name": version.name,
        "description": version.description,
        "metadata": metadata_to_contract(version.metadata),
        "changedBy": str(version.changed_by),
        "changedAt": rfc3339(version.changed_at),
    }


def ownership_to_contract(tx: ChainTransaction) -> dict[str, Any]:
    return {
        "txHash": tx.tx_hash,
        "blockNumber": tx.block_number,
        "kind": tx.kind.value,
        "from": None if tx.from_id is None else str(tx.from_id),
        "to": str(tx.to_id),
        "at": rfc3339(tx.timestamp),
    }


def verification_to_contract(verification: ChainVerification) -> dict[str, Any]:
    return {
        "entries": verification.entries,
        "valid": verification.valid,
        "firstInvalidBlock": verification.first_invalid_block,
    }


def event_to_messages(event: NftEvent) -> list[dict[str, Any]]:
    """One outbox payload per recipient, each notification's `NotificationEventInput` as is:
    the same eventId for all, since notification names a notification by (eventId, userId)."""
    data: dict[str, Any] = {"nftId": str(event.nft_id), "nftName": event.nft_name}
    if event.from_user_id is not None:
        data |= {"fromUserId": str(event.from_user_id), "toUserId": str(event.to_user_id)}
    return [
        {
            "eventId": str(event.event_id),
            "type": str(event.type),
            "userId": str(user_id),
            "occurredAt": rfc3339(event.occurred_at),
            "data": data,
        }
        for user_id in event.recipients
    ]
