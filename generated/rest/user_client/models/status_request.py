from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="StatusRequest")


@_attrs_define
class StatusRequest:
    """
    Attributes:
        disabled (bool):
    """

    disabled: bool

    def to_dict(self) -> dict[str, Any]:
        disabled = self.disabled

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "disabled": disabled,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        disabled = d.pop("disabled")

        status_request = cls(
            disabled=disabled,
        )

        return status_request
