from enum import StrEnum


class PriceTickOutcomeOutcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    REFUSED = "refused"
    STALE = "stale"

    def __str__(self) -> str:
        return str(self.value)
