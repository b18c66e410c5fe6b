from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.price_tick_outcome_outcome import PriceTickOutcomeOutcome
from ..types import UNSET, Unset

T = TypeVar("T", bound="PriceTickOutcome")


@_attrs_define
class PriceTickOutcome:
    """What one tick of a batch did. The tick itself is not echoed: it is the one sent at
    this position. `previousPrice` and `alertsFired` are as for a single tick (absent when
    refused); `problems` says why a tick was refused.

        Attributes:
            outcome (PriceTickOutcomeOutcome):
            previous_price (float | None | Unset):
            alerts_fired (int | Unset):
            problems (list[str] | Unset):
    """

    outcome: PriceTickOutcomeOutcome
    previous_price: float | None | Unset = UNSET
    alerts_fired: int | Unset = UNSET
    problems: list[str] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        outcome = self.outcome.value

        previous_price: float | None | Unset
        if isinstance(self.previous_price, Unset):
            previous_price = UNSET
        else:
            previous_price = self.previous_price

        alerts_fired = self.alerts_fired

        problems: list[str] | Unset = UNSET
        if not isinstance(self.problems, Unset):
            problems = self.problems

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "outcome": outcome,
            }
        )
        if previous_price is not UNSET:
            field_dict["previousPrice"] = previous_price
        if alerts_fired is not UNSET:
            field_dict["alertsFired"] = alerts_fired
        if problems is not UNSET:
            field_dict["problems"] = problems

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        outcome = PriceTickOutcomeOutcome(d.pop("outcome"))

        def _parse_previous_price(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        previous_price = _parse_previous_price(d.pop("previousPrice", UNSET))

        alerts_fired = d.pop("alertsFired", UNSET)

        problems = cast(list[str], d.pop("problems", UNSET))

        price_tick_outcome = cls(
            outcome=outcome,
            previous_price=previous_price,
            alerts_fired=alerts_fired,
            problems=problems,
        )

        return price_tick_outcome
