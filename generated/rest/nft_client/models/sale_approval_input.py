from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

T = TypeVar("T", bound="SaleApprovalInput")


@_attrs_define
class SaleApprovalInput:
    """
    Attributes:
        listing_id (UUID):
    """

    listing_id: UUID

    def to_dict(self) -> dict[str, Any]:
        listing_id = str(self.listing_id)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "listingId": listing_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        listing_id = UUID(d.pop("listingId"))

        sale_approval_input = cls(
            listing_id=listing_id,
        )

        return sale_approval_input
