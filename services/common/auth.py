"""Signed access tokens (RS256): issued by the user service, verified by every service.

Verifiers find the public key by the token's `kid` in a key source (the user service's own
keyring, or its JWKS document fetched through the local sidecar), so keys can rotate without
a restart anywhere."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

import jwt

ALGORITHM = "RS256"
AUDIENCE = "capsure"
REQUIRED_CLAIMS = ("sub", "exp", "iat", "nbf", "iss", "aud", "roles")


class Role(StrEnum):
    """The CapsureLabs roles. Every account has USER; the others are granted by an admin."""

    ADMIN = "Admin"
    MODERATOR = "Moderator"
    DEVELOPER = "Developer"
    USER = "User"


KNOWN_ROLES = frozenset(role.value for role in Role)


class InvalidToken(Exception):
    """The token is missing, malformed, expired, badly signed or for someone else."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: Any  # cryptography RSAPrivateKey


@dataclass(frozen=True)
class IssuedToken:
    value: str
    expires_in: int


@dataclass(frozen=True)
class TokenIssuer:
    signing_key: Callable[[], SigningKey]  # asked per token: the keyring may have rotated
    issuer: str
    ttl: timedelta
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def issue(self, subject: UUID, username: str, roles: Iterable[str]) -> IssuedToken:
        now = self.clock()
        key = self.signing_key()
        claims = {
            "sub": str(subject),
            "name": username,
            "roles": sorted(set(roles)),
            "iss": self.issuer,
            "aud": AUDIENCE,
            "iat": now,
            "nbf": now,
            "exp": now + self.ttl,
            "jti": secrets.token_hex(16),
        }
        value = jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})
        return IssuedToken(value=value, expires_in=int(self.ttl.total_seconds()))


class PublicKeySource(Protocol):
    async def key_for(self, kid: str) -> Any | None:
        """The public key with this id, or None when the issuer publishes no such key."""
        ...


@dataclass(frozen=True)
class TokenVerifier:
    keys: PublicKeySource
    issuer: str
    leeway_seconds: int = 5

    async def verify(self, token: str) -> dict[str, Any]:
        """The verified claims: `sub` is a UUID string and `roles` a list of known roles."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from error
        kid = header.get("kid")
        # Only RS256 is accepted: `none`, and HS256 keyed with the public key, never verify.
        if header.get("alg") != ALGORITHM or not isinstance(kid, str):
            raise InvalidToken("the token is not RS256 with a key id")
        key = await self.keys.key_for(kid)
        if key is None:
            raise InvalidToken("the token's key id is not published by the issuer")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": list(REQUIRED_CLAIMS)},
            )
            UUID(claims["sub"])
        except (jwt.PyJWTError, ValueError, TypeError) as error:
            raise InvalidToken(str(error)) from error
        roles = claims["roles"]
        if not isinstance(roles, list) or not set(roles) <= KNOWN_ROLES:
            raise InvalidToken("the token's roles are not a list of known roles")
        return claims


def bearer_info(verifier: TokenVerifier) -> Callable[[str], Awaitable[dict | None]]:
    """Adapt a verifier to Connexion's bearer hook: claims when valid, None (-> 401) when not."""

    async def verify(token: str) -> dict | None:
        try:
            return await verifier.verify(token)
        except InvalidToken:
            return None

    return verify
