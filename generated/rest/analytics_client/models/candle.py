from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="Candle")


@_attrs_define
class Candle:
    """
    Attributes:
        start (datetime.datetime): RFC 3339, in UTC
        open_ (float): Price of the earliest tick
        high (float):
        low (float):
        close (float): Price of the latest tick
        volume (float): Sum of the ticks' quantities
        trades (int): Ticks with a quantity above 0
        ticks (int): Ticks in the candle, quotes and trades
    """

    start: datetime.datetime
    open_: float
    high: float
    low: float
    close: float
    volume: float
    trades: int
    ticks: int

    def to_dict(self) -> dict[str, Any]:
        start = self.start.isoformat()

        open_ = self.open_

        high = self.high

        low = self.low

        close = self.close

        volume = self.volume

        trades = self.trades

        ticks = self.ticks

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "start": start,
                "open": open_,
                "high": high,
                "low": low,
                "close": close,
                "volume": volume,
                "trades": trades,
                "ticks": ticks,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        start = datetime.datetime.fromisoformat(d.pop("start"))

        open_ = d.pop("open")

        high = d.pop("high")

        low = d.pop("low")

        close = d.pop("close")

        volume = d.pop("volume")

        trades = d.pop("trades")

        ticks = d.pop("ticks")

        candle = cls(
            start=start,
            open_=open_,
            high=high,
            low=low,
            close=close,
            volume=volume,
            trades=trades,
            ticks=ticks,
        )

        return candle
