from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="MarketDataTickInput")


@_attrs_define
class MarketDataTickInput:
    """
    Attributes:
        asset_symbol (str): Ticker, optionally a pair joined by a dash (BTC, ETH-USD)
        price (float):
        timestamp (int): Unix time in milliseconds
    """

    asset_symbol: str
    price: float
    timestamp: int

    def to_dict(self) -> dict[str, Any]:
        asset_symbol = self.asset_symbol

        price = self.price

        timestamp = self.timestamp

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "assetSymbol": asset_symbol,
                "price": price,
                "timestamp": timestamp,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        asset_symbol = d.pop("assetSymbol")

        price = d.pop("price")

        timestamp = d.pop("timestamp")

        market_data_tick_input = cls(
            asset_symbol=asset_symbol,
            price=price,
            timestamp=timestamp,
        )

        return market_data_tick_input
