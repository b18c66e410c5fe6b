from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

from ..models.wallet_currency import WalletCurrency

T = TypeVar("T", bound="Wallet")


@_attrs_define
class Wallet:
    """available can be spent; held is reserved by pending purchases

    Attributes:
        user_id (UUID):
        currency (WalletCurrency):
        available (str): An amount of USD, a decimal string with at most two decimals
        held (str): An amount of USD, a decimal string with at most two decimals
    """

    user_id: UUID
    currency: WalletCurrency
    available: str
    held: str

    def to_dict(self) -> dict[str, Any]:
        user_id = str(self.user_id)

        currency = self.currency.value

        available = self.available

        held = self.held

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "userId": user_id,
                "currency": currency,
                "available": available,
                "held": held,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        user_id = UUID(d.pop("userId"))

        currency = WalletCurrency(d.pop("currency"))

        available = d.pop("available")

        held = d.pop("held")

        wallet = cls(
            user_id=user_id,
            currency=currency,
            available=available,
            held=held,
        )

        return wallet
