from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.target_group_labels import TargetGroupLabels


T = TypeVar("T", bound="TargetGroup")


@_attrs_define
class TargetGroup:
    """One group of Prometheus' HTTP service discovery

    Attributes:
        targets (list[str]):
        labels (TargetGroupLabels):
    """

    targets: list[str]
    labels: TargetGroupLabels

    def to_dict(self) -> dict[str, Any]:
        targets = self.targets

        labels = self.labels.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "targets": targets,
                "labels": labels,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.target_group_labels import TargetGroupLabels  # noqa: PLC0415

        d = dict(src_dict)
        targets = cast(list[str], d.pop("targets"))

        labels = TargetGroupLabels.from_dict(d.pop("labels"))

        target_group = cls(
            targets=targets,
            labels=labels,
        )

        return target_group
