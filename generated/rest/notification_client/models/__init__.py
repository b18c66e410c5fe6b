"""Contains all the data models used in inputs/outputs"""

from .direction import Direction
from .event_data import EventData
from .event_type import EventType
from .notification import Notification
from .notification_event_batch_input import NotificationEventBatchInput
from .notification_event_batch_result import NotificationEventBatchResult
from .notification_event_input import NotificationEventInput
from .notification_event_outcome import NotificationEventOutcome
from .notification_event_outcome_outcome import NotificationEventOutcomeOutcome
from .price_alert import PriceAlert
from .price_alert_input import PriceAlertInput
from .price_alert_status import PriceAlertStatus
from .price_tick_batch_input import PriceTickBatchInput
from .price_tick_batch_result import PriceTickBatchResult
from .price_tick_input import PriceTickInput
from .price_tick_outcome import PriceTickOutcome
from .price_tick_outcome_outcome import PriceTickOutcomeOutcome
from .price_tick_result import PriceTickResult
from .price_tick_result_outcome import PriceTickResultOutcome
from .problem import Problem

__all__ = (
    "Direction",
    "EventData",
    "EventType",
    "Notification",
    "NotificationEventBatchInput",
    "NotificationEventBatchResult",
    "NotificationEventInput",
    "NotificationEventOutcome",
    "NotificationEventOutcomeOutcome",
    "PriceAlert",
    "PriceAlertInput",
    "PriceAlertStatus",
    "PriceTickBatchInput",
    "PriceTickBatchResult",
    "PriceTickInput",
    "PriceTickOutcome",
    "PriceTickOutcomeOutcome",
    "PriceTickResult",
    "PriceTickResultOutcome",
    "Problem",
)
