from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="MarketDataTickBatchAccepted")


@_attrs_define
class MarketDataTickBatchAccepted:
    """
    Attributes:
        accepted (int): How many ticks were stored and queued (all of the batch)
    """

    accepted: int

    def to_dict(self) -> dict[str, Any]:
        accepted = self.accepted

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "accepted": accepted,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        accepted = d.pop("accepted")

        market_data_tick_batch_accepted = cls(
            accepted=accepted,
        )

        return market_data_tick_batch_accepted
