from enum import StrEnum


class JwkAlg(StrEnum):
    RS256 = "RS256"

    def __str__(self) -> str:
        return str(self.value)
