"""What can go wrong with accounts, in domain words; entrypoints map these to protocol errors."""

from uuid import UUID


class UserError(Exception):
    """Base of the user service's domain errors."""


class UserNotFound(UserError):
    def __init__(self, user_id: UUID) -> None:
        super().__init__(f"user {user_id} does not exist")


class AccountTaken(UserError):
    def __init__(self) -> None:
        super().__init__("that username or email is already registered")


class InvalidCredentials(UserError):
    def __init__(self) -> None:
        # One message for unknown user and wrong password: don't reveal which accounts exist.
        super().__init__("username or password is wrong")


class NftServiceError(UserError):
    """The nft service could not give an answer; subclasses say how it failed."""


class NftServiceUnavailable(NftServiceError):
    def __init__(self) -> None:
        super().__init__("the nft service cannot be reached; try again later")


class NftServiceTimeout(NftServiceError):
    def __init__(self) -> None:
        super().__init__("the nft service did not answer in time; try again later")


class NftServiceBadResponse(NftServiceError):
    def __init__(self, status: int) -> None:
        super().__init__(f"the nft service answered {status}, outside its contract")


class AccountDisabled(UserError):
    def __init__(self) -> None:
        super().__init__("this account is disabled")


class InvalidRefreshToken(UserError):
    def __init__(self) -> None:
        super().__init__("the refresh token is unknown, expired, spent or revoked; log in again")


class LoginThrottled(UserError):
    """Too many failed logins for this account or from this client."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds


class WouldLockOut(UserError):
    def __init__(self, what: str) -> None:
        super().__init__(f"an admin cannot {what} their own account (it would lock them out)")
