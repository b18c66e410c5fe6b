"""Signed access tokens: issued by the user service, verified by every service that needs them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt

ALGORITHM = "HS256"
AUDIENCE = "capsure"


class InvalidToken(Exception):
    """The token is missing, malformed, expired or badly signed."""


@dataclass(frozen=True)
class IssuedToken:
    value: str
    expires_in: int


@dataclass(frozen=True)
class TokenIssuer:
    secret: str
    issuer: str
    ttl: timedelta
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def issue(self, subject: UUID, username: str) -> IssuedToken:
        now = self.clock()
        claims = {
            "sub": str(subject),
            "name": username,
            "iss": self.issuer,
            "aud": AUDIENCE,
            "iat": now,
            "nbf": now,
            "exp": now + self.ttl,
        }
        value = jwt.encode(claims, self.secret, algorithm=ALGORITHM)
        return IssuedToken(value=value, expires_in=int(self.ttl.total_seconds()))


@dataclass(frozen=True)
class TokenVerifier:
    secret: str
    issuer: str
    leeway_seconds: int = 5

    def verify(self, token: str) -> dict:
        """Return the verified claims; `sub` is guaranteed to be a UUID string."""
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": ["sub", "exp", "iat", "iss", "aud"]},
            )
            UUID(claims["sub"])
        except (jwt.PyJWTError, ValueError, TypeError) as error:
            raise InvalidToken(str(error)) from error
        return claims


def bearer_info(verifier: TokenVerifier) -> Callable[[str], dict | None]:
    """Adapt a verifier to Connexion's bearer hook: claims when valid, None (-> 401) when not."""

    def verify(token: str) -> dict | None:
        try:
            return verifier.verify(token)
        except InvalidToken:
            return None

    return verify
