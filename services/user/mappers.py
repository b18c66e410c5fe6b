"""The one place where the user contract's JSON meets domain objects."""

from __future__ import annotations

from typing import Any

from services.common.auth import IssuedToken
from services.common.timestamps import rfc3339
from services.user.domain.model import User


def user_to_contract(user: User) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "username": user.username,
        "email": user.email,
        "createdAt": rfc3339(user.created_at),
    }


def public_user_to_contract(user: User) -> dict[str, Any]:
    return {"id": str(user.id), "username": user.username, "createdAt": rfc3339(user.created_at)}


def token_to_contract(token: IssuedToken) -> dict[str, Any]:
    return {"accessToken": token.value, "tokenType": "Bearer", "expiresIn": token.expires_in}
