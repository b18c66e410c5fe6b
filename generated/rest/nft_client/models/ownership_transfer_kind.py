from enum import StrEnum


class OwnershipTransferKind(StrEnum):
    MINT = "mint"
    TRANSFER = "transfer"

    def __str__(self) -> str:
        return str(self.value)
