from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..models.sale_currency import SaleCurrency
from ..types import UNSET, Unset

T = TypeVar("T", bound="Sale")


@_attrs_define
class Sale:
    """
    Attributes:
        id (UUID):
        listing_id (UUID):
        purchase_id (UUID):
        nft_id (UUID):
        seller_id (UUID):
        buyer_id (UUID):
        price (str): An amount of USD, a decimal string with at most two decimals
        currency (SaleCurrency):
        completed_at (datetime.datetime):
        nft_tx_hash (None | str | Unset): The nft service's transaction that moved the NFT
    """

    id: UUID
    listing_id: UUID
    purchase_id: UUID
    nft_id: UUID
    seller_id: UUID
    buyer_id: UUID
    price: str
    currency: SaleCurrency
    completed_at: datetime.datetime
    nft_tx_hash: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        listing_id = str(self.listing_id)

        purchase_id = str(self.purchase_id)

        nft_id = str(self.nft_id)

        seller_id = str(self.seller_id)

        buyer_id = str(self.buyer_id)

        price = self.price

        currency = self.currency.value

        completed_at = self.completed_at.isoformat()

        nft_tx_hash: None | str | Unset
        if isinstance(self.nft_tx_hash, Unset):
            nft_tx_hash = UNSET
        else:
            nft_tx_hash = self.nft_tx_hash

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "listingId": listing_id,
                "purchaseId": purchase_id,
                "nftId": nft_id,
                "sellerId": seller_id,
                "buyerId": buyer_id,
                "price": price,
                "currency": currency,
                "completedAt": completed_at,
            }
        )
        if nft_tx_hash is not UNSET:
            field_dict["nftTxHash"] = nft_tx_hash

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        listing_id = UUID(d.pop("listingId"))

        purchase_id = UUID(d.pop("purchaseId"))

        nft_id = UUID(d.pop("nftId"))

        seller_id = UUID(d.pop("sellerId"))

        buyer_id = UUID(d.pop("buyerId"))

        price = d.pop("price")

        currency = SaleCurrency(d.pop("currency"))

        completed_at = datetime.datetime.fromisoformat(d.pop("completedAt"))

        def _parse_nft_tx_hash(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        nft_tx_hash = _parse_nft_tx_hash(d.pop("nftTxHash", UNSET))

        sale = cls(
            id=id,
            listing_id=listing_id,
            purchase_id=purchase_id,
            nft_id=nft_id,
            seller_id=seller_id,
            buyer_id=buyer_id,
            price=price,
            currency=currency,
            completed_at=completed_at,
            nft_tx_hash=nft_tx_hash,
        )

        return sale
