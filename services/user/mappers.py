"""The one place where the user contract's JSON meets domain objects."""

from __future__ import annotations

from typing import Any

from services.common.timestamps import rfc3339
from services.user.domain.model import User
from services.user.service_layer.sessions import TokenPair


def user_to_contract(user: User) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "username": user.username,
        "email": user.email,
        "createdAt": rfc3339(user.created_at),
        "roles": sorted(user.roles),
        "disabled": user.disabled,
    }


def public_user_to_contract(user: User) -> dict[str, Any]:
    return {"id": str(user.id), "username": user.username, "createdAt": rfc3339(user.created_at)}


def token_pair_to_contract(pair: TokenPair) -> dict[str, Any]:
    return {
        "accessToken": pair.access.value,
        "tokenType": "Bearer",
        "expiresIn": pair.access.expires_in,
        "refreshToken": pair.refresh_token,
        "refreshExpiresIn": pair.refresh_expires_in,
    }
