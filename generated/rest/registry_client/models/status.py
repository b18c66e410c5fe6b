from enum import StrEnum


class Status(StrEnum):
    DRAINING = "DRAINING"
    NOT_SERVING = "NOT_SERVING"
    SERVING = "SERVING"

    def __str__(self) -> str:
        return str(self.value)
