from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PriceTickInput")


@_attrs_define
class PriceTickInput:
    """
    Attributes:
        asset_symbol (str): Ticker, optionally a pair joined by a dash (BTC, ETH-USD)
        price (float):
        timestamp (int): Unix time in milliseconds
        source_id (str | Unset): The publisher's id of the tick (e.g. trading's tick id)
    """

    asset_symbol: str
    price: float
    timestamp: int
    source_id: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        asset_symbol = self.asset_symbol

        price = self.price

        timestamp = self.timestamp

        source_id = self.source_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "assetSymbol": asset_symbol,
                "price": price,
                "timestamp": timestamp,
            }
        )
        if source_id is not UNSET:
            field_dict["sourceId"] = source_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        asset_symbol = d.pop("assetSymbol")

        price = d.pop("price")

        timestamp = d.pop("timestamp")

        source_id = d.pop("sourceId", UNSET)

        price_tick_input = cls(
            asset_symbol=asset_symbol,
            price=price,
            timestamp=timestamp,
            source_id=source_id,
        )

        return price_tick_input
