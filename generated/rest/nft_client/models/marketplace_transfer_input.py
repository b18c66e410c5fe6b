from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

T = TypeVar("T", bound="MarketplaceTransferInput")


@_attrs_define
class MarketplaceTransferInput:
    """
    Attributes:
        listing_id (UUID):
        nft_id (UUID):
        seller_id (UUID):
        buyer_id (UUID):
    """

    listing_id: UUID
    nft_id: UUID
    seller_id: UUID
    buyer_id: UUID

    def to_dict(self) -> dict[str, Any]:
        listing_id = str(self.listing_id)

        nft_id = str(self.nft_id)

        seller_id = str(self.seller_id)

        buyer_id = str(self.buyer_id)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "listingId": listing_id,
                "nftId": nft_id,
                "sellerId": seller_id,
                "buyerId": buyer_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        listing_id = UUID(d.pop("listingId"))

        nft_id = UUID(d.pop("nftId"))

        seller_id = UUID(d.pop("sellerId"))

        buyer_id = UUID(d.pop("buyerId"))

        marketplace_transfer_input = cls(
            listing_id=listing_id,
            nft_id=nft_id,
            seller_id=seller_id,
            buyer_id=buyer_id,
        )

        return marketplace_transfer_input
