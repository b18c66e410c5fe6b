"""Connexion handlers of the user API: parse -> use case -> contract shape. Nothing else."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.user.mappers import public_user_to_contract, token_to_contract, user_to_contract
from services.user.service_layer import use_cases
from services.user.service_layer.use_cases import UserDeps


class UserHandlers:
    def __init__(self, deps: UserDeps) -> None:
        self._deps = deps

    async def register_user(self, body: dict[str, Any]) -> tuple[dict[str, Any], int, dict]:
        user = await use_cases.register_user(
            self._deps, username=body["username"], email=body["email"], password=body["password"]
        )
        return user_to_contract(user), 201, {"Location": f"/api/users/{user.id}"}

    async def login(self, body: dict[str, Any]) -> dict[str, Any]:
        token = await use_cases.login(
            self._deps, username=body["username"], password=body["password"]
        )
        return token_to_contract(token)

    async def get_me(self, user: str) -> dict[str, Any]:
        return user_to_contract(await use_cases.get_user(self._deps, UUID(user)))

    async def get_user(self, userId: str) -> dict[str, Any]:
        return public_user_to_contract(await use_cases.get_user(self._deps, UUID(userId)))

    async def list_my_nfts(self, user: str, limit: int, offset: int) -> list[dict[str, Any]]:
        return await use_cases.list_my_nfts(self._deps, UUID(user), limit=limit, offset=offset)
