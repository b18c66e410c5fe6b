"""Tokens an attacker might present, each paired with a name: every one must be refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.tokens import TEST_KID, claims_for, sign, signing_key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _payload(claims: dict) -> str:
    numeric = {k: int(v.timestamp()) if isinstance(v, datetime) else v for k, v in claims.items()}
    return _b64(json.dumps(numeric).encode())


def _unsigned(claims: dict) -> str:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": TEST_KID}).encode())
    payload = _payload(claims)
    return f"{header}.{payload}."


def _hs256_with_public_key(claims: dict) -> str:
    public_pem = (
        signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": TEST_KID}).encode())
    payload = _payload(claims)
    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def _other_key(claims: dict) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": TEST_KID})


def _tampered(claims: dict) -> str:
    header, payload, signature = sign(claims).split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["roles"] = ["Admin", "User"]
    return f"{header}.{_b64(json.dumps(body).encode())}.{signature}"


def forged_tokens(user_id: UUID) -> dict[str, str]:
    """name -> token. Built for `user_id` so a bypass would act as that (real) user."""
    now = datetime.now(UTC)
    good = claims_for(user_id)
    cases: dict[str, Callable[[], str]] = {
        "alg none": lambda: _unsigned(good),
        "HS256 signed with the public key": lambda: _hs256_with_public_key(good),
        "signed with another key": lambda: _other_key(good),
        "unknown kid": lambda: sign(good, kid="20260101T000000Z-unknown"),
        "expired": lambda: sign(claims_for(user_id, now=now - timedelta(hours=1), minutes=5)),
        "not yet valid": lambda: sign({**good, "nbf": now + timedelta(hours=1)}),
        "wrong iss": lambda: sign({**good, "iss": "someone-else"}),
        "wrong aud": lambda: sign({**good, "aud": "another-api"}),
        "no exp": lambda: sign({k: v for k, v in good.items() if k != "exp"}),
        "unknown role": lambda: sign({**good, "roles": ["Root"]}),
        "sub not a uuid": lambda: sign({**good, "sub": "admin"}),
        "tampered payload": lambda: _tampered(good),
        "truncated": lambda: sign(good)[:-20],
        "garbage": lambda: "not-a-jwt",
        "empty segments": lambda: "..",
    }
    return {name: make() for name, make in cases.items()}
