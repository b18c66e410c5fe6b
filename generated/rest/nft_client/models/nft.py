from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.nft_metadata import NftMetadata


T = TypeVar("T", bound="Nft")


@_attrs_define
class Nft:
    """`tokenId` is the NFT's token on the chain, `mintTxHash` the transaction that minted it,
    `lastTxHash` its latest (the mint or the last transfer), `version` the version of its
    descriptive fields. They are always sent, but not listed as required, so that clients
    keep reading answers of instances older than the chain during a rolling upgrade.

        Attributes:
            id (UUID):
            name (str):
            description (str):
            metadata (NftMetadata):
            owner_id (UUID):
            creator_id (UUID):
            created_at (datetime.datetime):
            updated_at (datetime.datetime):
            hidden (bool): Hidden by a moderator from public listings
            hidden_reason (None | str | Unset):
            token_id (int | Unset): The token's id on the chain, counted up from 1 at each mint
            mint_tx_hash (str | Unset): A chain transaction's hash (SHA-256, lowercase hex)
            last_tx_hash (str | Unset): A chain transaction's hash (SHA-256, lowercase hex)
            version (int | Unset): Version of name, description and metadata (see the NFT's history)
            sale_listing_id (None | Unset | UUID): The marketplace listing the owner approved this NFT's sale through
    """

    id: UUID
    name: str
    description: str
    metadata: NftMetadata
    owner_id: UUID
    creator_id: UUID
    created_at: datetime.datetime
    updated_at: datetime.datetime
    hidden: bool
    hidden_reason: None | str | Unset = UNSET
    token_id: int | Unset = UNSET
    mint_tx_hash: str | Unset = UNSET
    last_tx_hash: str | Unset = UNSET
    version: int | Unset = UNSET
    sale_listing_id: None | Unset | UUID = UNSET

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        name = self.name

        description = self.description

        metadata = self.metadata.to_dict()

        owner_id = str(self.owner_id)

        creator_id = str(self.creator_id)

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        hidden = self.hidden

        hidden_reason: None | str | Unset
        if isinstance(self.hidden_reason, Unset):
            hidden_reason = UNSET
        else:
            hidden_reason = self.hidden_reason

        token_id = self.token_id

        mint_tx_hash = self.mint_tx_hash

        last_tx_hash = self.last_tx_hash

        version = self.version

        sale_listing_id: None | str | Unset
        if isinstance(self.sale_listing_id, Unset):
            sale_listing_id = UNSET
        elif isinstance(self.sale_listing_id, UUID):
            sale_listing_id = str(self.sale_listing_id)
        else:
            sale_listing_id = self.sale_listing_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "name": name,
                "description": description,
                "metadata": metadata,
                "ownerId": owner_id,
                "creatorId": creator_id,
                "createdAt": created_at,
                "updatedAt": updated_at,
                "hidden": hidden,
            }
        )
        if hidden_reason is not UNSET:
            field_dict["hiddenReason"] = hidden_reason
        if token_id is not UNSET:
            field_dict["tokenId"] = token_id
        if mint_tx_hash is not UNSET:
            field_dict["mintTxHash"] = mint_tx_hash
        if last_tx_hash is not UNSET:
            field_dict["lastTxHash"] = last_tx_hash
        if version is not UNSET:
            field_dict["version"] = version
        if sale_listing_id is not UNSET:
            field_dict["saleListingId"] = sale_listing_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.nft_metadata import NftMetadata  # noqa: PLC0415

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        name = d.pop("name")

        description = d.pop("description")

        metadata = NftMetadata.from_dict(d.pop("metadata"))

        owner_id = UUID(d.pop("ownerId"))

        creator_id = UUID(d.pop("creatorId"))

        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updatedAt"))

        hidden = d.pop("hidden")

        def _parse_hidden_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        hidden_reason = _parse_hidden_reason(d.pop("hiddenReason", UNSET))

        token_id = d.pop("tokenId", UNSET)

        mint_tx_hash = d.pop("mintTxHash", UNSET)

        last_tx_hash = d.pop("lastTxHash", UNSET)

        version = d.pop("version", UNSET)

        def _parse_sale_listing_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                sale_listing_id_type_0 = UUID(data)

                return sale_listing_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        sale_listing_id = _parse_sale_listing_id(d.pop("saleListingId", UNSET))

        nft = cls(
            id=id,
            name=name,
            description=description,
            metadata=metadata,
            owner_id=owner_id,
            creator_id=creator_id,
            created_at=created_at,
            updated_at=updated_at,
            hidden=hidden,
            hidden_reason=hidden_reason,
            token_id=token_id,
            mint_tx_hash=mint_tx_hash,
            last_tx_hash=last_tx_hash,
            version=version,
            sale_listing_id=sale_listing_id,
        )

        return nft
