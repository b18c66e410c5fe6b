from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

T = TypeVar("T", bound="TransferNftRequest")


@_attrs_define
class TransferNftRequest:
    """
    Attributes:
        to_user_id (UUID):
    """

    to_user_id: UUID

    def to_dict(self) -> dict[str, Any]:
        to_user_id = str(self.to_user_id)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "toUserId": to_user_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        to_user_id = UUID(d.pop("toUserId"))

        transfer_nft_request = cls(
            to_user_id=to_user_id,
        )

        return transfer_nft_request
