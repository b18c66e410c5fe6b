"""Signed access tokens (RS256): issued by the user service, verified by every service.

Verifiers find the public key by the token's `kid` in a key source (the user service's own
keyring, or its JWKS document fetched through the local sidecar), so keys can rotate without
a restart anywhere."""

from __future__ import annotations

import binascii
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

import jwt
from jwt.api_jws import PyJWS
from jwt.utils import base64url_decode, base64url_encode

from services.common.verified_tokens import VerifiedToken, VerifiedTokens

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


_BASE64URL = re.compile(rb"[A-Za-z0-9_-]*")


def _decode_segment(segment: bytes, name: str) -> bytes:
    """PyJWT 2.15's `PyJWS._decode_base64url_segment`, the same refusals, its alphabet checked
    by one regular expression instead of a Python loop over every character (which was most
    of a token's verification)."""
    stripped = segment.rstrip(b"=")
    padding = len(segment) - len(stripped)
    if (
        padding > 2
        or (padding and len(segment) % 4 != 0)
        or len(stripped) % 4 == 1
        or not _BASE64URL.fullmatch(stripped)
    ):
        raise jwt.DecodeError(f"Invalid {name} padding")
    try:
        decoded = base64url_decode(stripped)
    except (TypeError, binascii.Error) as error:
        raise jwt.DecodeError(f"Invalid {name} padding") from error
    if base64url_encode(decoded) != stripped:  # non-canonical trailing bits
        raise jwt.DecodeError(f"Invalid {name} padding")
    return decoded


class _FastSegmentsJWS(PyJWS):
    # A private method of PyJWT's: tests/unit/test_token_verification.py checks that both
    # refuse and decode alike, so an upgrade that changes PyJWT's checks fails there.
    _decode_base64url_segment = staticmethod(_decode_segment)


def _pyjwt() -> jwt.PyJWT:
    decoder = jwt.PyJWT()
    decoder._jws = _FastSegmentsJWS(options=decoder._get_sig_options())
    return decoder


_JWT = _pyjwt()


def _header(token: str) -> dict[str, Any]:
    """The token's (unverified) header, reading only its first segment: the full token is
    parsed once, by the verifying decode."""
    try:
        segment = token.encode("utf-8").split(b".", 1)[0]
        header = json.loads(_decode_segment(segment, "header"))
    except (jwt.PyJWTError, ValueError, RecursionError) as error:
        raise InvalidToken(f"Invalid header string: {error}") from error
    if not isinstance(header, dict):
        raise InvalidToken("Invalid header string: must be a json object")
    return header


@dataclass(frozen=True)
class TokenVerifier:
    keys: PublicKeySource
    issuer: str
    leeway_seconds: int = 5
    # Tokens already verified (bounded; see verified_tokens) and the clock their expiry is
    # checked against (seconds since the epoch).
    verified: VerifiedTokens = field(default_factory=VerifiedTokens, compare=False)
    clock: Callable[[], float] = time.time

    async def verify(self, token: str) -> dict[str, Any]:
        """The verified claims: `sub` is a UUID string and `roles` a list of known roles."""
        known = self.verified.get(token)
        if known is not None:
            if known.expires_at <= self.clock() - self.leeway_seconds:  # as PyJWT's exp check
                self.verified.forget(token)
                raise InvalidToken("Signature has expired")
            key = await self.keys.key_for(known.kid)
            if key is not None and key == known.key:
                return {**known.claims, "roles": list(known.claims["roles"])}
            self.verified.forget(token)  # its key is gone or changed: verified afresh
        claims, kid, key = await self._verify(token)
        self.verified.keep(token, VerifiedToken(claims, kid, key, float(claims["exp"])))
        return {**claims, "roles": list(claims["roles"])}

    async def _verify(self, token: str) -> tuple[dict[str, Any], str, Any]:
        header = _header(token)
        kid = header.get("kid")
        # Only RS256 is accepted: `none`, and HS256 keyed with the public key, never verify.
        if header.get("alg") != ALGORITHM or not isinstance(kid, str):
            raise InvalidToken("the token is not RS256 with a key id")
        key = await self.keys.key_for(kid)
        if key is None:
            raise InvalidToken("the token's key id is not published by the issuer")
        try:
            claims = _JWT.decode(
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
        if not isinstance(claims["exp"], int | float):  # PyJWT refuses others; kept certain
            raise InvalidToken("the token's exp is not a number")
        return claims, kid, key


def bearer_info(verifier: TokenVerifier) -> Callable[[str], Awaitable[dict | None]]:
    """Adapt a verifier to Connexion's bearer hook: claims when valid, None (-> 401) when not."""

    async def verify(token: str) -> dict | None:
        try:
            return await verifier.verify(token)
        except InvalidToken:
            return None

    return verify
