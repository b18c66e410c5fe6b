from enum import StrEnum


class ListingCurrency(StrEnum):
    USD = "USD"

    def __str__(self) -> str:
        return str(self.value)
