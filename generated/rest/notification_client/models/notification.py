from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..models.event_type import EventType

if TYPE_CHECKING:
    from ..models.event_data import EventData


T = TypeVar("T", bound="Notification")


@_attrs_define
class Notification:
    """occurredAt is as the publisher sent it (its UTC offset kept); createdAt is when it
    was delivered here.

        Attributes:
            id (UUID):
            event_id (UUID):
            type_ (EventType):
            user_id (UUID):
            occurred_at (datetime.datetime):
            data (EventData): What the event is about, shown with the notification. Every field is optional; a
                publisher sends those its event type has (nft.minted: nftId, nftName; nft.transferred:
                nftId, fromUserId, toUserId; sale.completed: saleId, nftId, sellerId, buyerId, price,
                currency; price.alert: alertId, assetSymbol, direction, threshold, price,
                previousPrice).
            created_at (datetime.datetime):
            read (bool):
            read_at (datetime.datetime | None):
    """

    id: UUID
    event_id: UUID
    type_: EventType
    user_id: UUID
    occurred_at: datetime.datetime
    data: EventData
    created_at: datetime.datetime
    read: bool
    read_at: datetime.datetime | None

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        event_id = str(self.event_id)

        type_ = self.type_.value

        user_id = str(self.user_id)

        occurred_at = self.occurred_at.isoformat()

        data = self.data.to_dict()

        created_at = self.created_at.isoformat()

        read = self.read

        read_at: None | str
        if isinstance(self.read_at, datetime.datetime):
            read_at = self.read_at.isoformat()
        else:
            read_at = self.read_at

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "eventId": event_id,
                "type": type_,
                "userId": user_id,
                "occurredAt": occurred_at,
                "data": data,
                "createdAt": created_at,
                "read": read,
                "readAt": read_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.event_data import EventData  # noqa: PLC0415

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        event_id = UUID(d.pop("eventId"))

        type_ = EventType(d.pop("type"))

        user_id = UUID(d.pop("userId"))

        occurred_at = datetime.datetime.fromisoformat(d.pop("occurredAt"))

        data = EventData.from_dict(d.pop("data"))

        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))

        read = d.pop("read")

        def _parse_read_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                read_at_type_0 = datetime.datetime.fromisoformat(data)

                return read_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        read_at = _parse_read_at(d.pop("readAt"))

        notification = cls(
            id=id,
            event_id=event_id,
            type_=type_,
            user_id=user_id,
            occurred_at=occurred_at,
            data=data,
            created_at=created_at,
            read=read,
            read_at=read_at,
        )

        return notification
