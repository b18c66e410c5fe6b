from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

from ..models.event_type import EventType
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.event_data import EventData


T = TypeVar("T", bound="NotificationEventInput")


@_attrs_define
class NotificationEventInput:
    """eventId is chosen by the publisher and stays the same on every retry of the event;
    userId is the recipient.

        Attributes:
            event_id (UUID):
            type_ (EventType):
            user_id (UUID):
            occurred_at (datetime.datetime):
            data (EventData | Unset): What the event is about, shown with the notification. Every field is optional; a
                publisher sends those its event type has (nft.minted: nftId, nftName; nft.transferred:
                nftId, fromUserId, toUserId; sale.completed: saleId, nftId, sellerId, buyerId, price,
                currency; price.alert: alertId, assetSymbol, direction, threshold, price,
                previousPrice).
    """

    event_id: UUID
    type_: EventType
    user_id: UUID
    occurred_at: datetime.datetime
    data: EventData | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        event_id = str(self.event_id)

        type_ = self.type_.value

        user_id = str(self.user_id)

        occurred_at = self.occurred_at.isoformat()

        data: dict[str, Any] | Unset = UNSET
        if not isinstance(self.data, Unset):
            data = self.data.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "eventId": event_id,
                "type": type_,
                "userId": user_id,
                "occurredAt": occurred_at,
            }
        )
        if data is not UNSET:
            field_dict["data"] = data

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.event_data import EventData  # noqa: PLC0415

        d = dict(src_dict)
        event_id = UUID(d.pop("eventId"))

        type_ = EventType(d.pop("type"))

        user_id = UUID(d.pop("userId"))

        occurred_at = datetime.datetime.fromisoformat(d.pop("occurredAt"))

        _data = d.pop("data", UNSET)
        data: EventData | Unset
        if isinstance(_data, Unset):
            data = UNSET
        else:
            data = EventData.from_dict(_data)

        notification_event_input = cls(
            event_id=event_id,
            type_=type_,
            user_id=user_id,
            occurred_at=occurred_at,
            data=data,
        )

        return notification_event_input
