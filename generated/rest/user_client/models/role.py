from enum import StrEnum


class Role(StrEnum):
    ADMIN = "Admin"
    DEVELOPER = "Developer"
    MODERATOR = "Moderator"
    USER = "User"

    def __str__(self) -> str:
        return str(self.value)
