from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="AssetStats")


@_attrs_define
class AssetStats:
    """
    Attributes:
        asset_symbol (str): Ticker, optionally a pair joined by a dash (BTC, ETH-USD)
        count (int):
        min_ (float):
        max_ (float):
        mean (float):
        last (float): Price of the tick with the newest timestamp
        last_timestamp (int): Unix time in milliseconds
    """

    asset_symbol: str
    count: int
    min_: float
    max_: float
    mean: float
    last: float
    last_timestamp: int

    def to_dict(self) -> dict[str, Any]:
        asset_symbol = self.asset_symbol

        count = self.count

        min_ = self.min_

        max_ = self.max_

        mean = self.mean

        last = self.last

        last_timestamp = self.last_timestamp

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "assetSymbol": asset_symbol,
                "count": count,
                "min": min_,
                "max": max_,
                "mean": mean,
                "last": last,
                "lastTimestamp": last_timestamp,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        asset_symbol = d.pop("assetSymbol")

        count = d.pop("count")

        min_ = d.pop("min")

        max_ = d.pop("max")

        mean = d.pop("mean")

        last = d.pop("last")

        last_timestamp = d.pop("lastTimestamp")

        asset_stats = cls(
            asset_symbol=asset_symbol,
            count=count,
            min_=min_,
            max_=max_,
            mean=mean,
            last=last,
            last_timestamp=last_timestamp,
        )

        return asset_stats
