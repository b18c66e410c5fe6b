from enum import StrEnum


class NotificationEventOutcomeOutcome(StrEnum):
    CONFLICT = "conflict"
    DELIVERED = "delivered"
    DUPLICATE = "duplicate"
    REFUSED = "refused"

    def __str__(self) -> str:
        return str(self.value)
