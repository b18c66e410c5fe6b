from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..models.purchase_currency import PurchaseCurrency
from ..models.purchase_status import PurchaseStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="Purchase")


@_attrs_define
class Purchase:
    """
    Attributes:
        id (UUID):
        listing_id (UUID):
        nft_id (UUID):
        buyer_id (UUID):
        seller_id (UUID):
        price (str): An amount of USD, a decimal string with at most two decimals
        currency (PurchaseCurrency):
        status (PurchaseStatus):
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        failure_reason (None | str | Unset):
        sale_id (None | Unset | UUID):
    """

    id: UUID
    listing_id: UUID
    nft_id: UUID
    buyer_id: UUID
    seller_id: UUID
    price: str
    currency: PurchaseCurrency
    status: PurchaseStatus
    created_at: datetime.datetime
    updated_at: datetime.datetime
    failure_reason: None | str | Unset = UNSET
    sale_id: None | Unset | UUID = UNSET

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        listing_id = str(self.listing_id)

        nft_id = str(self.nft_id)

        buyer_id = str(self.buyer_id)

        seller_id = str(self.seller_id)

        price = self.price

        currency = self.currency.value

        status = self.status.value

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        failure_reason: None | str | Unset
        if isinstance(self.failure_reason, Unset):
            failure_reason = UNSET
        else:
            failure_reason = self.failure_reason

        sale_id: None | str | Unset
        if isinstance(self.sale_id, Unset):
            sale_id = UNSET
        elif isinstance(self.sale_id, UUID):
            sale_id = str(self.sale_id)
        else:
            sale_id = self.sale_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "listingId": listing_id,
                "nftId": nft_id,
                "buyerId": buyer_id,
                "sellerId": seller_id,
                "price": price,
                "currency": currency,
                "status": status,
                "createdAt": created_at,
                "updatedAt": updated_at,
            }
        )
        if failure_reason is not UNSET:
            field_dict["failureReason"] = failure_reason
        if sale_id is not UNSET:
            field_dict["saleId"] = sale_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        listing_id = UUID(d.pop("listingId"))

        nft_id = UUID(d.pop("nftId"))

        buyer_id = UUID(d.pop("buyerId"))

        seller_id = UUID(d.pop("sellerId"))

        price = d.pop("price")

        currency = PurchaseCurrency(d.pop("currency"))

        status = PurchaseStatus(d.pop("status"))

        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updatedAt"))

        def _parse_failure_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        failure_reason = _parse_failure_reason(d.pop("failureReason", UNSET))

        def _parse_sale_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                sale_id_type_0 = UUID(data)

                return sale_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        sale_id = _parse_sale_id(d.pop("saleId", UNSET))

        purchase = cls(
            id=id,
            listing_id=listing_id,
            nft_id=nft_id,
            buyer_id=buyer_id,
            seller_id=seller_id,
            price=price,
            currency=currency,
            status=status,
            created_at=created_at,
            updated_at=updated_at,
            failure_reason=failure_reason,
            sale_id=sale_id,
        )

        return purchase
