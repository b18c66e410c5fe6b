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
    """An NFT as the nft service reports it

    Attributes:
        id (UUID):
        name (str):
        description (str):
        metadata (NftMetadata):
        owner_id (UUID):
        creator_id (UUID):
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        hidden (bool | Unset):
        hidden_reason (None | str | Unset):
    """

    id: UUID
    name: str
    description: str
    metadata: NftMetadata
    owner_id: UUID
    creator_id: UUID
    created_at: datetime.datetime
    updated_at: datetime.datetime
    hidden: bool | Unset = UNSET
    hidden_reason: None | str | Unset = UNSET

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
            }
        )
        if hidden is not UNSET:
            field_dict["hidden"] = hidden
        if hidden_reason is not UNSET:
            field_dict["hiddenReason"] = hidden_reason

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

        hidden = d.pop("hidden", UNSET)

        def _parse_hidden_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        hidden_reason = _parse_hidden_reason(d.pop("hiddenReason", UNSET))

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
        )

        return nft
