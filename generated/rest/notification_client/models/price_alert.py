from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..models.direction import Direction
from ..models.price_alert_status import PriceAlertStatus

T = TypeVar("T", bound="PriceAlert")


@_attrs_define
class PriceAlert:
    """
    Attributes:
        id (UUID):
        asset_symbol (str): Ticker, optionally a pair joined by a dash (BTC, ETH-USD)
        direction (Direction): above fires when the price rises to the threshold, below when it falls to it
        threshold (float):
        status (PriceAlertStatus): armed until a tick crosses the threshold, then fired (for good)
        created_at (datetime.datetime):
        fired_at (datetime.datetime | None):
        fired_price (float | None): The price of the tick that fired it
    """

    id: UUID
    asset_symbol: str
    direction: Direction
    threshold: float
    status: PriceAlertStatus
    created_at: datetime.datetime
    fired_at: datetime.datetime | None
    fired_price: float | None

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        asset_symbol = self.asset_symbol

        direction = self.direction.value

        threshold = self.threshold

        status = self.status.value

        created_at = self.created_at.isoformat()

        fired_at: None | str
        if isinstance(self.fired_at, datetime.datetime):
            fired_at = self.fired_at.isoformat()
        else:
            fired_at = self.fired_at

        fired_price: float | None
        fired_price = self.fired_price

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "assetSymbol": asset_symbol,
                "direction": direction,
                "threshold": threshold,
                "status": status,
                "createdAt": created_at,
                "firedAt": fired_at,
                "firedPrice": fired_price,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        asset_symbol = d.pop("assetSymbol")

        direction = Direction(d.pop("direction"))

        threshold = d.pop("threshold")

        status = PriceAlertStatus(d.pop("status"))

        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))

        def _parse_fired_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                fired_at_type_0 = datetime.datetime.fromisoformat(data)

                return fired_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        fired_at = _parse_fired_at(d.pop("firedAt"))

        def _parse_fired_price(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        fired_price = _parse_fired_price(d.pop("firedPrice"))

        price_alert = cls(
            id=id,
            asset_symbol=asset_symbol,
            direction=direction,
            threshold=threshold,
            status=status,
            created_at=created_at,
            fired_at=fired_at,
            fired_price=fired_price,
        )

        return price_alert
