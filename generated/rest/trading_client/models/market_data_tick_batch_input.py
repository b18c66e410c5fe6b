from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.market_data_tick_input import MarketDataTickInput


T = TypeVar("T", bound="MarketDataTickBatchInput")


@_attrs_define
class MarketDataTickBatchInput:
    """
    Attributes:
        ticks (list[MarketDataTickInput]):
    """

    ticks: list[MarketDataTickInput]

    def to_dict(self) -> dict[str, Any]:
        ticks = []
        for ticks_item_data in self.ticks:
            ticks_item = ticks_item_data.to_dict()
            ticks.append(ticks_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "ticks": ticks,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.market_data_tick_input import MarketDataTickInput  # noqa: PLC0415

        d = dict(src_dict)
        ticks = []
        _ticks = d.pop("ticks")
        for ticks_item_data in _ticks:
            ticks_item = MarketDataTickInput.from_dict(ticks_item_data)

            ticks.append(ticks_item)

        market_data_tick_batch_input = cls(
            ticks=ticks,
        )

        return market_data_tick_batch_input
