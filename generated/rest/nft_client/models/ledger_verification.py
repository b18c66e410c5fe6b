from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="LedgerVerification")


@_attrs_define
class LedgerVerification:
    """
    Attributes:
        entries (int): Transactions checked
        valid (bool):
        first_invalid_block (int | None): The first block that is tampered with, unlinked or missing; null when valid
    """

    entries: int
    valid: bool
    first_invalid_block: int | None

    def to_dict(self) -> dict[str, Any]:
        entries = self.entries

        valid = self.valid

        first_invalid_block: int | None
        first_invalid_block = self.first_invalid_block

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "entries": entries,
                "valid": valid,
                "firstInvalidBlock": first_invalid_block,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        entries = d.pop("entries")

        valid = d.pop("valid")

        def _parse_first_invalid_block(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        first_invalid_block = _parse_first_invalid_block(d.pop("firstInvalidBlock"))

        ledger_verification = cls(
            entries=entries,
            valid=valid,
            first_invalid_block=first_invalid_block,
        )

        return ledger_verification
