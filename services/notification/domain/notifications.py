"""Events other services publish, and the notifications they become. Pure Python.

A notification is an event delivered to one user: (event id, user id) names it, so a publisher
that retries delivers it once."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from services.common.quoting import quoted
from services.notification.domain.errors import InvalidEvent

# What the contract's EventData allows; checked again here because JSON parsers also admit
# NaN and Infinity, which no database stores as JSON.
MAX_DATA_FIELDS = 16
MAX_DATA_STRING = 256

DataValue = str | int | float


class EventType(StrEnum):
    NFT_MINTED = "nft.minted"
    NFT_TRANSFERRED = "nft.transferred"
    SALE_COMPLETED = "sale.completed"
    PRICE_ALERT = "price.alert"


def data_problems(data: Mapping[str, object]) -> list[str]:
    if len(data) > MAX_DATA_FIELDS:
        # Alone: a problem per field of a huge object would make a huge message.
        return [f"data has more than {MAX_DATA_FIELDS} fields"]
    problems = []
    for key, value in data.items():
        if isinstance(value, str):
            if len(value) > MAX_DATA_STRING:
                problems.append(f"data[{quoted(key)}] is longer than {MAX_DATA_STRING} characters")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"data[{quoted(key)}] must be a string or a number")
        elif not math.isfinite(value):
            problems.append(f"data[{quoted(key)}] must be a finite number")
    return problems


@dataclass(frozen=True)
class NotificationEvent:
    """What a publisher tells one user.

    `occurred_at` keeps the publisher's UTC offset: the contract admits any RFC 3339 instant,
    and near the ends of years 1 and 9999 not every one converts to UTC. Aware datetimes
    compare as instants, so two events differing only in how the offset is written are equal.
    """

    event_id: UUID
    type: EventType
    user_id: UUID
    occurred_at: datetime
    data: Mapping[str, DataValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.occurred_at.utcoffset() is None:
            raise InvalidEvent("occurredAt must carry a UTC offset")
        problems = data_problems(self.data)
        if problems:
            raise InvalidEvent("; ".join(problems))
        object.__setattr__(self, "type", EventType(self.type))
        object.__setattr__(self, "data", dict(self.data))  # a copy the caller cannot change


@dataclass(frozen=True)
class Notification:
    id: UUID
    event: NotificationEvent
    created_at: datetime  # when it was delivered here; listings are newest delivered first
    read_at: datetime | None = None

    @property
    def user_id(self) -> UUID:
        return self.event.user_id

    def delivers(self, event: NotificationEvent) -> bool:
        """Whether `event` is the one this notification came from, published again."""
        return self.event == event

    def read(self, at: datetime) -> Notification:
        """Read since `at`, or since it was first read: acknowledging twice changes nothing."""
        return self if self.read_at is not None else replace(self, read_at=at)
