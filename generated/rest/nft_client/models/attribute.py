from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="Attribute")


@_attrs_define
class Attribute:
    """
    Attributes:
        trait_type (str):
        value (str):
    """

    trait_type: str
    value: str

    def to_dict(self) -> dict[str, Any]:
        trait_type = self.trait_type

        value = self.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "traitType": trait_type,
                "value": value,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        trait_type = d.pop("traitType")

        value = d.pop("value")

        attribute = cls(
            trait_type=trait_type,
            value=value,
        )

        return attribute
