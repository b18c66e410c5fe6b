from enum import StrEnum


class PriceAlertStatus(StrEnum):
    ARMED = "armed"
    FIRED = "fired"

    def __str__(self) -> str:
        return str(self.value)
