"""Real RS256 tokens for tests: one test signing key, its JWKS, and tokens with any claims.

Services under test trust this key either through `jwks_url()` (a JWKS file) or, for a real
user service, by loading it from `signing_keys_dir()` — as an operator would mount a key."""

from __future__ import annotations

import functools
import json
import os
import secrets
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from services.common.auth import ALGORITHM, AUDIENCE

ISSUER = "capsure-user"
# The keyring's id format: the time it started signing, then a random part.
TEST_KID = "20260101T000000Z-7e57"


@functools.cache
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks_document() -> dict[str, Any]:
    jwk = RSAAlgorithm.to_jwk(signing_key().public_key(), as_dict=True)
    public = {"kty": "RSA", "n": jwk["n"], "e": jwk["e"]}
    return {"keys": [{**public, "kid": TEST_KID, "use": "sig", "alg": ALGORITHM}]}


@functools.cache
def _scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="capsure-test-keys-"))


@functools.cache
def jwks_url() -> str:
    path = _scratch() / "jwks.json"
    path.write_text(json.dumps(jwks_document()))
    return path.as_uri()


@functools.cache
def signing_keys_dir() -> Path:
    """A keyring directory holding only the test key (mode 0600, like a generated one)."""
    directory = _scratch() / "signing-keys"
    directory.mkdir(mode=0o700)
    pem = signing_key().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(directory / f"{TEST_KID}.pem", os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    return directory


def claims_for(
    user_id: UUID | str,
    *,
    roles: Iterable[str] = ("User",),
    minutes: float = 15,
    now: datetime | None = None,
) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    return {
        "sub": str(user_id),
        "name": "tester",
        "roles": sorted(set(roles) | {"User"}),
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=minutes),
        "jti": secrets.token_hex(8),
    }


def sign(claims: dict[str, Any], *, kid: str = TEST_KID) -> str:
    return jwt.encode(claims, signing_key(), algorithm=ALGORITHM, headers={"kid": kid})


def token_for(user_id: UUID | str, **kwargs: Any) -> str:
    return sign(claims_for(user_id, **kwargs))


def bearer(user_id: UUID | str, **kwargs: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(user_id, **kwargs)}"}


def grpc_bearer(user_id: UUID | str, **kwargs: Any) -> tuple[tuple[str, str], ...]:
    """gRPC call metadata carrying a fresh token for `user_id` (`roles=["Developer"]` ...)."""
    return (("authorization", f"Bearer {token_for(user_id, **kwargs)}"),)


def trusting_env() -> dict[str, str]:
    """Environment for real service processes so they accept `token_for` tokens."""
    return {"USER_SIGNING_KEYS_DIR": str(signing_keys_dir())}
