from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.nft_metadata import NftMetadata


T = TypeVar("T", bound="UpdateNftRequest")


@_attrs_define
class UpdateNftRequest:
    """
    Attributes:
        name (str | Unset):
        description (str | Unset):
        metadata (NftMetadata | Unset):
    """

    name: str | Unset = UNSET
    description: str | Unset = UNSET
    metadata: NftMetadata | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        description = self.description

        metadata: dict[str, Any] | Unset = UNSET
        if not isinstance(self.metadata, Unset):
            metadata = self.metadata.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if name is not UNSET:
            field_dict["name"] = name
        if description is not UNSET:
            field_dict["description"] = description
        if metadata is not UNSET:
            field_dict["metadata"] = metadata

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.nft_metadata import NftMetadata  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name", UNSET)

        description = d.pop("description", UNSET)

        _metadata = d.pop("metadata", UNSET)
        metadata: NftMetadata | Unset
        if isinstance(_metadata, Unset):
            metadata = UNSET
        else:
            metadata = NftMetadata.from_dict(_metadata)

        update_nft_request = cls(
            name=name,
            description=description,
            metadata=metadata,
        )

        return update_nft_request
