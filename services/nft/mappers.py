"""The one place where the nft contract's JSON meets domain objects."""

from __future__ import annotations

from typing import Any

from services.common.timestamps import rfc3339
from services.nft.domain.model import Attribute, Nft, NftMetadata


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
    }
