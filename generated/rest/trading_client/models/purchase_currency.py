from enum import StrEnum


class PurchaseCurrency(StrEnum):
    USD = "USD"

    def __str__(self) -> str:
        return str(self.value)
