from enum import StrEnum


class SaleCurrency(StrEnum):
    USD = "USD"

    def __str__(self) -> str:
        return str(self.value)
