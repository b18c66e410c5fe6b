from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.instance import Instance


T = TypeVar("T", bound="Service")


@_attrs_define
class Service:
    """
    Attributes:
        name (str):
        instances (list[Instance]):
    """

    name: str
    instances: list[Instance]

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        instances = []
        for instances_item_data in self.instances:
            instances_item = instances_item_data.to_dict()
            instances.append(instances_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "instances": instances,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.instance import Instance  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")

        instances = []
        _instances = d.pop("instances")
        for instances_item_data in _instances:
            instances_item = Instance.from_dict(instances_item_data)

            instances.append(instances_item)

        service = cls(
            name=name,
            instances=instances,
        )

        return service
