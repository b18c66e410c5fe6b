from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

from ..models.listing_currency import ListingCurrency
from ..models.listing_status import ListingStatus

T = TypeVar("T", bound="Listing")


@_attrs_define
class Listing:
    """
    Attributes:
        id (UUID):
        nft_id (UUID):
        seller_id (UUID):
        price (str): An amount of USD, a decimal string with at most two decimals
        currency (ListingCurrency):
        status (ListingStatus): active (for sale), reserved (a purchase is under way), sold, cancelled (by the
            seller, or because the NFT could not be transferred)
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
    """

    id: UUID
    nft_id: UUID
    seller_id: UUID
    price: str
    currency: ListingCurrency
    status: ListingStatus
    created_at: datetime.datetime
    updated_at: datetime.datetime

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        nft_id = str(self.nft_id)

        seller_id = str(self.seller_id)

        price = self.price

        currency = self.currency.value

        status = self.status.value

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "nftId": nft_id,
                "sellerId": seller_id,
                "price": price,
                "currency": currency,
                "status": status,
                "createdAt": created_at,
                "updatedAt": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        nft_id = UUID(d.pop("nftId"))

        seller_id = UUID(d.pop("sellerId"))

        price = d.pop("price")

        currency = ListingCurrency(d.pop("currency"))

        status = ListingStatus(d.pop("status"))

        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updatedAt"))

        listing = cls(
            id=id,
            nft_id=nft_id,
            seller_id=seller_id,
            price=price,
            currency=currency,
            status=status,
            created_at=created_at,
            updated_at=updated_at,
        )

        return listing
