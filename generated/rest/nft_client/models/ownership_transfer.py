from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..models.ownership_transfer_kind import OwnershipTransferKind

T = TypeVar("T", bound="OwnershipTransfer")


@_attrs_define
class OwnershipTransfer:
    """One transaction of the token on the chain

    Attributes:
        tx_hash (str): A chain transaction's hash (SHA-256, lowercase hex)
        block_number (int):
        kind (OwnershipTransferKind):
        from_ (None | UUID): The previous owner; null for the mint
        to (UUID):
        at (datetime.datetime):
    """

    tx_hash: str
    block_number: int
    kind: OwnershipTransferKind
    from_: None | UUID
    to: UUID
    at: datetime.datetime

    def to_dict(self) -> dict[str, Any]:
        tx_hash = self.tx_hash

        block_number = self.block_number

        kind = self.kind.value

        from_: None | str
        if isinstance(self.from_, UUID):
            from_ = str(self.from_)
        else:
            from_ = self.from_

        to = str(self.to)

        at = self.at.isoformat()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "txHash": tx_hash,
                "blockNumber": block_number,
                "kind": kind,
                "from": from_,
                "to": to,
                "at": at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        tx_hash = d.pop("txHash")

        block_number = d.pop("blockNumber")

        kind = OwnershipTransferKind(d.pop("kind"))

        def _parse_from_(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                from_type_0 = UUID(data)

                return from_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        from_ = _parse_from_(d.pop("from"))

        to = UUID(d.pop("to"))

        at = datetime.datetime.fromisoformat(d.pop("at"))

        ownership_transfer = cls(
            tx_hash=tx_hash,
            block_number=block_number,
            kind=kind,
            from_=from_,
            to=to,
            at=at,
        )

        return ownership_transfer
