from enum import StrEnum


class ListingStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"
    RESERVED = "reserved"
    SOLD = "sold"

    def __str__(self) -> str:
        return str(self.value)
