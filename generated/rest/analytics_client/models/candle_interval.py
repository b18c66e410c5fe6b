from enum import StrEnum


class CandleInterval(StrEnum):
    VALUE_0 = "1m"
    VALUE_1 = "5m"
    VALUE_2 = "1h"

    def __str__(self) -> str:
        return str(self.value)
