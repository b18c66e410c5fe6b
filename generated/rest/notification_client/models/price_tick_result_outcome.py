from enum import StrEnum


class PriceTickResultOutcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    STALE = "stale"

    def __str__(self) -> str:
        return str(self.value)
