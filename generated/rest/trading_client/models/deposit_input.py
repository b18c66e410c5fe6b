from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="DepositInput")


@_attrs_define
class DepositInput:
    """
    Attributes:
        amount (str): A price or deposit in USD: more than zero, at most 1,000,000.00, at most two decimals
            (the pattern says so: 0.01 to 999999.99, or 1000000)
    """

    amount: str

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount": amount,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        amount = d.pop("amount")

        deposit_input = cls(
            amount=amount,
        )

        return deposit_input
