from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="MarketDataTickInput")


@_attrs_define
class MarketDataTickInput:
    """
    Attributes:
        asset_symbol (str): Ticker, optionally a pair joined by a dash (BTC, ETH-USD)
        price (float):
        timestamp (int): Unix time in milliseconds
        quantity (float | Unset): Amount traded at this price; 0 (the default) is a quote, not a trade
    """

    asset_symbol: str
    price: float
    timestamp: int
    quantity: float | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        asset_symbol = self.asset_symbol

        price = self.price

        timestamp = self.timestamp

        quantity = self.quantity

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "assetSymbol": asset_symbol,
                "price": price,
                "timestamp": timestamp,
            }
        )
        if quantity is not UNSET:
            field_dict["quantity"] = quantity

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        asset_symbol = d.pop("assetSymbol")

        price = d.pop("price")

        timestamp = d.pop("timestamp")

        quantity = d.pop("quantity", UNSET)

        market_data_tick_input = cls(
            asset_symbol=asset_symbol,
            price=price,
            timestamp=timestamp,
            quantity=quantity,
        )

        return market_data_tick_input
