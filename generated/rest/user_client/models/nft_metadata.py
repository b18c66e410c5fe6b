from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.attribute import Attribute


T = TypeVar("T", bound="NftMetadata")


@_attrs_define
class NftMetadata:
    """
    Attributes:
        image (str | Unset):
        attributes (list[Attribute] | Unset):
        creator (str | Unset):
    """

    image: str | Unset = UNSET
    attributes: list[Attribute] | Unset = UNSET
    creator: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        image = self.image

        attributes: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.attributes, Unset):
            attributes = []
            for attributes_item_data in self.attributes:
                attributes_item = attributes_item_data.to_dict()
                attributes.append(attributes_item)

        creator = self.creator

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if image is not UNSET:
            field_dict["image"] = image
        if attributes is not UNSET:
            field_dict["attributes"] = attributes
        if creator is not UNSET:
            field_dict["creator"] = creator

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.attribute import Attribute  # noqa: PLC0415

        d = dict(src_dict)
        image = d.pop("image", UNSET)

        _attributes = d.pop("attributes", UNSET)
        attributes: list[Attribute] | Unset = UNSET
        if _attributes is not UNSET:
            attributes = []
            for attributes_item_data in _attributes:
                attributes_item = Attribute.from_dict(attributes_item_data)

                attributes.append(attributes_item)

        creator = d.pop("creator", UNSET)

        nft_metadata = cls(
            image=image,
            attributes=attributes,
            creator=creator,
        )

        return nft_metadata
