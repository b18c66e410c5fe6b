from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

T = TypeVar("T", bound="MarketDataTick")


@_attrs_define
class MarketDataTick:
    """
    Attributes:
        id (UUID):
        asset_symbol (str): Ticker, optionally a pair joined by a dash (BTC, ETH-USD)
        price (float):
        timestamp (int): Unix time in milliseconds
        received_at (datetime.datetime):
        quantity (float): Amount traded at this price; 0 (the default) is a quote, not a trade
    """

    id: UUID
    asset_symbol: str
    price: float
    timestamp: int
    received_at: datetime.datetime
    quantity: float

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        asset_symbol = self.asset_symbol

        price = self.price

        timestamp = self.timestamp

        received_at = self.received_at.isoformat()

        quantity = self.quantity

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "assetSymbol": asset_symbol,
                "price": price,
                "timestamp": timestamp,
                "receivedAt": received_at,
                "quantity": quantity,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        asset_symbol = d.pop("assetSymbol")

        price = d.pop("price")

        timestamp = d.pop("timestamp")

        received_at = datetime.datetime.fromisoformat(d.pop("receivedAt"))

        quantity = d.pop("quantity")

        market_data_tick = cls(
            id=id,
            asset_symbol=asset_symbol,
            price=price,
            timestamp=timestamp,
            received_at=received_at,
            quantity=quantity,
        )

        return market_data_tick
