from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..models.notification_event_outcome_outcome import NotificationEventOutcomeOutcome
from ..types import UNSET, Unset

T = TypeVar("T", bound="NotificationEventOutcome")


@_attrs_define
class NotificationEventOutcome:
    """What became of one event of a batch. The event is not echoed: it is the one sent at
    this position. `notificationId` is the user's notification (absent when refused or in
    conflict); `problems` says why an event was refused.

        Attributes:
            outcome (NotificationEventOutcomeOutcome):
            notification_id (UUID | Unset):
            problems (list[str] | Unset):
    """

    outcome: NotificationEventOutcomeOutcome
    notification_id: UUID | Unset = UNSET
    problems: list[str] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        outcome = self.outcome.value

        notification_id: str | Unset = UNSET
        if not isinstance(self.notification_id, Unset):
            notification_id = str(self.notification_id)

        problems: list[str] | Unset = UNSET
        if not isinstance(self.problems, Unset):
            problems = self.problems

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "outcome": outcome,
            }
        )
        if notification_id is not UNSET:
            field_dict["notificationId"] = notification_id
        if problems is not UNSET:
            field_dict["problems"] = problems

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        outcome = NotificationEventOutcomeOutcome(d.pop("outcome"))

        _notification_id = d.pop("notificationId", UNSET)
        notification_id: UUID | Unset
        if isinstance(_notification_id, Unset):
            notification_id = UNSET
        else:
            notification_id = UUID(_notification_id)

        problems = cast(list[str], d.pop("problems", UNSET))

        notification_event_outcome = cls(
            outcome=outcome,
            notification_id=notification_id,
            problems=problems,
        )

        return notification_event_outcome
