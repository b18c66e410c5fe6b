from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.direction import Direction

T = TypeVar("T", bound="PriceAlertInput")


@_attrs_define
class PriceAlertInput:
    """
    Attributes:
        asset_symbol (str): Ticker, optionally a pair joined by a dash (BTC, ETH-USD)
        direction (Direction): above fires when the price rises to the threshold, below when it falls to it
        threshold (float):
    """

    asset_symbol: str
    direction: Direction
    threshold: float

    def to_dict(self) -> dict[str, Any]:
        asset_symbol = self.asset_symbol

        direction = self.direction.value

        threshold = self.threshold

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "assetSymbol": asset_symbol,
                "direction": direction,
                "threshold": threshold,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        asset_symbol = d.pop("assetSymbol")

        direction = Direction(d.pop("direction"))

        threshold = d.pop("threshold")

        price_alert_input = cls(
            asset_symbol=asset_symbol,
            direction=direction,
            threshold=threshold,
        )

        return price_alert_input
