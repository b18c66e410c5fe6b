from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.price_tick_input import PriceTickInput


T = TypeVar("T", bound="PriceTickBatchInput")


@_attrs_define
class PriceTickBatchInput:
    """
    Attributes:
        ticks (list[PriceTickInput]):
    """

    ticks: list[PriceTickInput]

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
        from ..models.price_tick_input import PriceTickInput  # noqa: PLC0415

        d = dict(src_dict)
        ticks = []
        _ticks = d.pop("ticks")
        for ticks_item_data in _ticks:
            ticks_item = PriceTickInput.from_dict(ticks_item_data)

            ticks.append(ticks_item)

        price_tick_batch_input = cls(
            ticks=ticks,
        )

        return price_tick_batch_input
