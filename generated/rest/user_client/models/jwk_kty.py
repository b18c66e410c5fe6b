from enum import StrEnum


class JwkKty(StrEnum):
    RSA = "RSA"

    def __str__(self) -> str:
        return str(self.value)
