from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.notification_event_outcome import NotificationEventOutcome


T = TypeVar("T", bound="NotificationEventBatchResult")


@_attrs_define
class NotificationEventBatchResult:
    """
    Attributes:
        results (list[NotificationEventOutcome]): One per event sent, in the same order
    """

    results: list[NotificationEventOutcome]

    def to_dict(self) -> dict[str, Any]:
        results = []
        for results_item_data in self.results:
            results_item = results_item_data.to_dict()
            results.append(results_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "results": results,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.notification_event_outcome import NotificationEventOutcome  # noqa: PLC0415

        d = dict(src_dict)
        results = []
        _results = d.pop("results")
        for results_item_data in _results:
            results_item = NotificationEventOutcome.from_dict(results_item_data)

            results.append(results_item)

        notification_event_batch_result = cls(
            results=results,
        )

        return notification_event_batch_result
