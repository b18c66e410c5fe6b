from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.price_tick_result_outcome import PriceTickResultOutcome
from ..types import UNSET, Unset

T = TypeVar("T", bound="PriceTickResult")


@_attrs_define
class PriceTickResult:
    """
    Attributes:
        asset_symbol (str): Ticker, optionally a pair joined by a dash (BTC, ETH-USD)
        price (float):
        timestamp (int): Unix time in milliseconds
        outcome (PriceTickResultOutcome): applied: the asset's new last price (alerts it crossed have fired); duplicate:
            the last applied tick again; stale: older than the last applied tick. The last
            two change nothing.
        previous_price (float | None): The asset's last applied price before this tick (null if none)
        alerts_fired (int): Alerts this tick fired, each with one price.alert notification
        source_id (str | Unset):
    """

    asset_symbol: str
    price: float
    timestamp: int
    outcome: PriceTickResultOutcome
    previous_price: float | None
    alerts_fired: int
    source_id: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        asset_symbol = self.asset_symbol

        price = self.price

        timestamp = self.timestamp

        outcome = self.outcome.value

        previous_price: float | None
        previous_price = self.previous_price

        alerts_fired = self.alerts_fired

        source_id = self.source_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "assetSymbol": asset_symbol,
                "price": price,
                "timestamp": timestamp,
                "outcome": outcome,
                "previousPrice": previous_price,
                "alertsFired": alerts_fired,
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

        outcome = PriceTickResultOutcome(d.pop("outcome"))

        def _parse_previous_price(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        previous_price = _parse_previous_price(d.pop("previousPrice"))

        alerts_fired = d.pop("alertsFired")

        source_id = d.pop("sourceId", UNSET)

        price_tick_result = cls(
            asset_symbol=asset_symbol,
            price=price,
            timestamp=timestamp,
            outcome=outcome,
            previous_price=previous_price,
            alerts_fired=alerts_fired,
            source_id=source_id,
        )

        return price_tick_result
