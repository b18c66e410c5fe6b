from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="DailyVolume")


@_attrs_define
class DailyVolume:
    """
    Attributes:
        asset_symbol (str): Ticker, optionally a pair joined by a dash (BTC, ETH-USD)
        window_start (datetime.datetime): 24 hours before windowEnd (RFC 3339, UTC); a tick at exactly this moment is
            left out
        window_end (datetime.datetime): Timestamp of the asset's newest tick (RFC 3339, UTC)
        ticks24h (int):
        trades24h (int): Ticks with a quantity above 0
        volume24h (float): Sum of the quantities traded
        vwap24h (float | None): Volume-weighted average price, sum(price × quantity) / sum(quantity) over the
            trades; null when nothing was traded in the window
    """

    asset_symbol: str
    window_start: datetime.datetime
    window_end: datetime.datetime
    ticks24h: int
    trades24h: int
    volume24h: float
    vwap24h: float | None

    def to_dict(self) -> dict[str, Any]:
        asset_symbol = self.asset_symbol

        window_start = self.window_start.isoformat()

        window_end = self.window_end.isoformat()

        ticks24h = self.ticks24h

        trades24h = self.trades24h

        volume24h = self.volume24h

        vwap24h: float | None
        vwap24h = self.vwap24h

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "assetSymbol": asset_symbol,
                "windowStart": window_start,
                "windowEnd": window_end,
                "ticks24h": ticks24h,
                "trades24h": trades24h,
                "volume24h": volume24h,
                "vwap24h": vwap24h,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        asset_symbol = d.pop("assetSymbol")

        window_start = datetime.datetime.fromisoformat(d.pop("windowStart"))

        window_end = datetime.datetime.fromisoformat(d.pop("windowEnd"))

        ticks24h = d.pop("ticks24h")

        trades24h = d.pop("trades24h")

        volume24h = d.pop("volume24h")

        def _parse_vwap24h(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        vwap24h = _parse_vwap24h(d.pop("vwap24h"))

        daily_volume = cls(
            asset_symbol=asset_symbol,
            window_start=window_start,
            window_end=window_end,
            ticks24h=ticks24h,
            trades24h=trades24h,
            volume24h=volume24h,
            vwap24h=vwap24h,
        )

        return daily_volume
