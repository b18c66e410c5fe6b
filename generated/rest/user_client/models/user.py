from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

from ..models.role import Role

T = TypeVar("T", bound="User")


@_attrs_define
class User:
    """
    Attributes:
        id (UUID):
        username (str):
        email (str):
        roles (list[Role]):
        disabled (bool):
        created_at (datetime.datetime):
    """

    id: UUID
    username: str
    email: str
    roles: list[Role]
    disabled: bool
    created_at: datetime.datetime

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        username = self.username

        email = self.email

        roles = []
        for roles_item_data in self.roles:
            roles_item = roles_item_data.value
            roles.append(roles_item)

        disabled = self.disabled

        created_at = self.created_at.isoformat()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "username": username,
                "email": email,
                "roles": roles,
                "disabled": disabled,
                "createdAt": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        username = d.pop("username")

        email = d.pop("email")

        roles = []
        _roles = d.pop("roles")
        for roles_item_data in _roles:
            roles_item = Role(roles_item_data)

            roles.append(roles_item)

        disabled = d.pop("disabled")

        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))

        user = cls(
            id=id,
            username=username,
            email=email,
            roles=roles,
            disabled=disabled,
            created_at=created_at,
        )

        return user
