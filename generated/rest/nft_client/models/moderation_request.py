from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="ModerationRequest")


@_attrs_define
class ModerationRequest:
    """
    Attributes:
        hidden (bool):
        reason (str | Unset): Why (required in practice when hiding; shown with the NFT)
    """

    hidden: bool
    reason: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        hidden = self.hidden

        reason = self.reason

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "hidden": hidden,
            }
        )
        if reason is not UNSET:
            field_dict["reason"] = reason

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        hidden = d.pop("hidden")

        reason = d.pop("reason", UNSET)

        moderation_request = cls(
            hidden=hidden,
            reason=reason,
        )

        return moderation_request
