from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

from ..models.direction import Direction
from ..types import UNSET, Unset

T = TypeVar("T", bound="EventData")


@_attrs_define
class EventData:
    """What the event is about, shown with the notification. Every field is optional; a
    publisher sends those its event type has (nft.minted: nftId, nftName; nft.transferred:
    nftId, fromUserId, toUserId; sale.completed: saleId, nftId, sellerId, buyerId, price,
    currency; price.alert: alertId, assetSymbol, direction, threshold, price,
    previousPrice).

        Attributes:
            nft_id (UUID | Unset):
            nft_name (str | Unset):
            from_user_id (UUID | Unset):
            to_user_id (UUID | Unset):
            seller_id (UUID | Unset):
            buyer_id (UUID | Unset):
            sale_id (UUID | Unset):
            listing_id (UUID | Unset):
            alert_id (UUID | Unset):
            asset_symbol (str | Unset): Ticker, optionally a pair joined by a dash (BTC, ETH-USD)
            currency (str | Unset): Ticker, optionally a pair joined by a dash (BTC, ETH-USD)
            direction (Direction | Unset): above fires when the price rises to the threshold, below when it falls to it
            price (float | Unset): A price or sum in an event (zero allowed)
            previous_price (float | Unset): A price or sum in an event (zero allowed)
            threshold (float | Unset): A price or sum in an event (zero allowed)
    """

    nft_id: UUID | Unset = UNSET
    nft_name: str | Unset = UNSET
    from_user_id: UUID | Unset = UNSET
    to_user_id: UUID | Unset = UNSET
    seller_id: UUID | Unset = UNSET
    buyer_id: UUID | Unset = UNSET
    sale_id: UUID | Unset = UNSET
    listing_id: UUID | Unset = UNSET
    alert_id: UUID | Unset = UNSET
    asset_symbol: str | Unset = UNSET
    currency: str | Unset = UNSET
    direction: Direction | Unset = UNSET
    price: float | Unset = UNSET
    previous_price: float | Unset = UNSET
    threshold: float | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        nft_id: str | Unset = UNSET
        if not isinstance(self.nft_id, Unset):
            nft_id = str(self.nft_id)

        nft_name = self.nft_name

        from_user_id: str | Unset = UNSET
        if not isinstance(self.from_user_id, Unset):
            from_user_id = str(self.from_user_id)

        to_user_id: str | Unset = UNSET
        if not isinstance(self.to_user_id, Unset):
            to_user_id = str(self.to_user_id)

        seller_id: str | Unset = UNSET
        if not isinstance(self.seller_id, Unset):
            seller_id = str(self.seller_id)

        buyer_id: str | Unset = UNSET
        if not isinstance(self.buyer_id, Unset):
            buyer_id = str(self.buyer_id)

        sale_id: str | Unset = UNSET
        if not isinstance(self.sale_id, Unset):
            sale_id = str(self.sale_id)

        listing_id: str | Unset = UNSET
        if not isinstance(self.listing_id, Unset):
            listing_id = str(self.listing_id)

        alert_id: str | Unset = UNSET
        if not isinstance(self.alert_id, Unset):
            alert_id = str(self.alert_id)

        asset_symbol = self.asset_symbol

        currency = self.currency

        direction: str | Unset = UNSET
        if not isinstance(self.direction, Unset):
            direction = self.direction.value

        price = self.price

        previous_price = self.previous_price

        threshold = self.threshold

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if nft_id is not UNSET:
            field_dict["nftId"] = nft_id
        if nft_name is not UNSET:
            field_dict["nftName"] = nft_name
        if from_user_id is not UNSET:
            field_dict["fromUserId"] = from_user_id
        if to_user_id is not UNSET:
            field_dict["toUserId"] = to_user_id
        if seller_id is not UNSET:
            field_dict["sellerId"] = seller_id
        if buyer_id is not UNSET:
            field_dict["buyerId"] = buyer_id
        if sale_id is not UNSET:
            field_dict["saleId"] = sale_id
        if listing_id is not UNSET:
            field_dict["listingId"] = listing_id
        if alert_id is not UNSET:
            field_dict["alertId"] = alert_id
        if asset_symbol is not UNSET:
            field_dict["assetSymbol"] = asset_symbol
        if currency is not UNSET:
            field_dict["currency"] = currency
        if direction is not UNSET:
            field_dict["direction"] = direction
        if price is not UNSET:
            field_dict["price"] = price
        if previous_price is not UNSET:
            field_dict["previousPrice"] = previous_price
        if threshold is not UNSET:
            field_dict["threshold"] = threshold

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        _nft_id = d.pop("nftId", UNSET)
        nft_id: UUID | Unset
        if isinstance(_nft_id, Unset):
            nft_id = UNSET
        else:
            nft_id = UUID(_nft_id)

        nft_name = d.pop("nftName", UNSET)

        _from_user_id = d.pop("fromUserId", UNSET)
        from_user_id: UUID | Unset
        if isinstance(_from_user_id, Unset):
            from_user_id = UNSET
        else:
            from_user_id = UUID(_from_user_id)

        _to_user_id = d.pop("toUserId", UNSET)
        to_user_id: UUID | Unset
        if isinstance(_to_user_id, Unset):
            to_user_id = UNSET
        else:
            to_user_id = UUID(_to_user_id)

        _seller_id = d.pop("sellerId", UNSET)
        seller_id: UUID | Unset
        if isinstance(_seller_id, Unset):
            seller_id = UNSET
        else:
            seller_id = UUID(_seller_id)

        _buyer_id = d.pop("buyerId", UNSET)
        buyer_id: UUID | Unset
        if isinstance(_buyer_id, Unset):
            buyer_id = UNSET
        else:
            buyer_id = UUID(_buyer_id)

        _sale_id = d.pop("saleId", UNSET)
        sale_id: UUID | Unset
        if isinstance(_sale_id, Unset):
            sale_id = UNSET
        else:
            sale_id = UUID(_sale_id)

        _listing_id = d.pop("listingId", UNSET)
        listing_id: UUID | Unset
        if isinstance(_listing_id, Unset):
            listing_id = UNSET
        else:
            listing_id = UUID(_listing_id)

        _alert_id = d.pop("alertId", UNSET)
        alert_id: UUID | Unset
        if isinstance(_alert_id, Unset):
            alert_id = UNSET
        else:
            alert_id = UUID(_alert_id)

        asset_symbol = d.pop("assetSymbol", UNSET)

        currency = d.pop("currency", UNSET)

        _direction = d.pop("direction", UNSET)
        direction: Direction | Unset
        if isinstance(_direction, Unset):
            direction = UNSET
        else:
            direction = Direction(_direction)

        price = d.pop("price", UNSET)

        previous_price = d.pop("previousPrice", UNSET)

        threshold = d.pop("threshold", UNSET)

        event_data = cls(
            nft_id=nft_id,
            nft_name=nft_name,
            from_user_id=from_user_id,
            to_user_id=to_user_id,
            seller_id=seller_id,
            buyer_id=buyer_id,
            sale_id=sale_id,
            listing_id=listing_id,
            alert_id=alert_id,
            asset_symbol=asset_symbol,
            currency=currency,
            direction=direction,
            price=price,
            previous_price=previous_price,
            threshold=threshold,
        )

        return event_data
