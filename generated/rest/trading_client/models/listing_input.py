from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

T = TypeVar("T", bound="ListingInput")


@_attrs_define
class ListingInput:
    """
    Attributes:
        nft_id (UUID):
        price (str): A price or deposit in USD: more than zero, at most 1,000,000.00, at most two decimals
            (the pattern says so: 0.01 to 999999.99, or 1000000)
    """

    nft_id: UUID
    price: str

    def to_dict(self) -> dict[str, Any]:
        nft_id = str(self.nft_id)

        price = self.price

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "nftId": nft_id,
                "price": price,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        nft_id = UUID(d.pop("nftId"))

        price = d.pop("price")

        listing_input = cls(
            nft_id=nft_id,
            price=price,
        )

        return listing_input
