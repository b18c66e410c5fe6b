"""Per-operation role rules, read from the contract's `x-roles` and enforced before the handler.

Connexion has already verified the bearer token when a protected handler runs (its security
requirement), so the roles checked here come from verified claims only, never from a header."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from connexion.context import context

from services.common.contracts import operations


class Forbidden(Exception):
    """The caller is authenticated but may not do this."""


def roles_by_operation(contract: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """operationId -> the roles allowed to call it (any one suffices), for restricted ones."""
    return {
        op.operation_id: op.roles
        for op in operations(contract)
        if op.operation_id is not None and op.roles is not None
    }


def require_roles(
    handler: Callable[..., Awaitable[Any]], allowed: frozenset[str]
) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(handler)  # connexion reads the wrapped signature to inject arguments
    async def guarded(*args: Any, **kwargs: Any) -> Any:
        token_info = context.get("token_info") or {}
        if not allowed & set(token_info.get("roles", ())):
            raise Forbidden(f"this operation needs one of the roles {', '.join(sorted(allowed))}")
        return await handler(*args, **kwargs)

    return guarded
