from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

T = TypeVar("T", bound="PublicUser")


@_attrs_define
class PublicUser:
    """
    Attributes:
        id (UUID):
        username (str):
        created_at (datetime.datetime):
    """

    id: UUID
    username: str
    created_at: datetime.datetime

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        username = self.username

        created_at = self.created_at.isoformat()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "username": username,
                "createdAt": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        username = d.pop("username")

        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))

        public_user = cls(
            id=id,
            username=username,
            created_at=created_at,
        )

        return public_user
