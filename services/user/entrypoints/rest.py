"""Connexion handlers of the user API: parse -> use case -> contract shape. Nothing else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from connexion import request

from services.common.caller import verified_caller
from services.common.forwarding import callers_bearer_token
from services.common.headers import CLIENT_IP
from services.common.workload_identity import EDGE
from services.user.mappers import public_user_to_contract, token_pair_to_contract, user_to_contract
from services.user.service_layer import administration, sessions, use_cases
from services.user.service_layer.use_cases import UserDeps


# Set by the edge Envoy from the connection's peer address (any client-sent value replaced).
def _client_address(authenticate_callers: bool) -> str | None:
    """The one place the login throttle's client address is read. The edge's header, believed
    only when the edge sent it (the caller this instance's sidecar verified); another workload
    is throttled as itself (anyone able to reach the sidecar could name any address); without
    sidecars (development), the header or the peer of a direct call."""
    forwarded = (request.headers.get(CLIENT_IP) or "").strip()
    caller = verified_caller()
    if caller is not None and caller.service == EDGE:
        return forwarded or None
    if caller is not None:
        # Its SPIFFE ID where it names no service (the operator): not one count for all such.
        return f"workload:{caller.service or caller.uri}"
    if not authenticate_callers and forwarded:
        return forwarded
    return request.client.host if request.client else None


class UserHandlers:
    def __init__(
        self, deps: UserDeps, jwks: Callable[[], dict[str, Any]], *, authenticate_callers: bool
    ) -> None:
        self._deps = deps
        self._jwks = jwks
        self._authenticate_callers = authenticate_callers

    async def register_user(self, body: dict[str, Any]) -> tuple[dict[str, Any], int, dict]:
        user = await use_cases.register_user(
            self._deps, username=body["username"], email=body["email"], password=body["password"]
        )
        return user_to_contract(user), 201, {"Location": f"/api/users/{user.id}"}

    async def login(self, body: dict[str, Any]) -> dict[str, Any]:
        pair = await sessions.login(
            self._deps,
            username=body["username"],
            password=body["password"],
            client_address=_client_address(self._authenticate_callers),
        )
        return token_pair_to_contract(pair)

    async def refresh_token(self, body: dict[str, Any]) -> dict[str, Any]:
        pair = await sessions.refresh(self._deps, refresh_token=body["refreshToken"])
        return token_pair_to_contract(pair)

    async def logout(self, body: dict[str, Any]) -> tuple[None, int]:
        await sessions.logout(self._deps, refresh_token=body["refreshToken"])
        return None, 204

    async def get_jwks(self) -> tuple[dict[str, Any], int, dict]:
        return self._jwks(), 200, {"Cache-Control": "public, max-age=60"}

    async def get_me(self, user: str) -> dict[str, Any]:
        return user_to_contract(await use_cases.get_user(self._deps, UUID(user)))

    async def get_user(self, userId: str) -> dict[str, Any]:
        return public_user_to_contract(await use_cases.get_user(self._deps, UUID(userId)))

    async def list_my_nfts(self, user: str, limit: int, offset: int) -> list[dict[str, Any]]:
        return await use_cases.list_my_nfts(
            self._deps, UUID(user), limit=limit, offset=offset, bearer_token=callers_bearer_token()
        )

    async def list_users(self, limit: int, offset: int) -> list[dict[str, Any]]:
        users = await administration.list_users(self._deps, limit=limit, offset=offset)
        return [user_to_contract(user) for user in users]

    async def set_user_roles(self, user: str, userId: str, body: dict[str, Any]) -> dict[str, Any]:
        changed = await administration.set_roles(
            self._deps, actor_id=UUID(user), user_id=UUID(userId), roles=body["roles"]
        )
        return user_to_contract(changed)

    async def set_user_status(self, user: str, userId: str, body: dict[str, Any]) -> dict[str, Any]:
        changed = await administration.set_disabled(
            self._deps, actor_id=UUID(user), user_id=UUID(userId), disabled=body["disabled"]
        )
        return user_to_contract(changed)
