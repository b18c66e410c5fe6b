"""Per-operation access rules from the contract, enforced before the handler: `x-roles` (the
roles of the caller's token) and `x-callers` (the services that may call an internal
operation).

Connexion has already verified the bearer token when a protected handler runs (its security
requirement), so the roles checked here come from verified claims only, never from a header.
The calling service comes from the certificate this instance's sidecar verified (mTLS), which
it reports in a header it sets itself; the sidecar's RBAC has admitted only those callers
already: this is the second check, as the tokens are checked twice."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from connexion.context import context

from services.common.caller import verified_caller
from services.common.contracts import operations
from services.common.quoting import quoted


class Forbidden(Exception):
    """The caller is authenticated but may not do this."""


def roles_by_operation(contract: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """operationId -> the roles allowed to call it (any one suffices), for restricted ones."""
    return {
        op.operation_id: op.roles
        for op in operations(contract)
        if op.operation_id is not None and op.roles is not None
    }


Handler = Callable[..., Awaitable[Any]]


def guarded_by(handler: Handler, refusal: Callable[[], str | None]) -> Handler:
    """`handler`, refused with Forbidden when `refusal()` names a reason (checked per call)."""

    @functools.wraps(handler)  # connexion reads the wrapped signature to inject arguments
    async def guarded(*args: Any, **kwargs: Any) -> Any:
        if (reason := refusal()) is not None:
            raise Forbidden(reason)
        return await handler(*args, **kwargs)

    return guarded


def require_roles(handler: Handler, allowed: frozenset[str]) -> Handler:
    def refusal() -> str | None:
        token_info = context.get("token_info") or {}
        if allowed & set(token_info.get("roles", ())):
            return None
        return f"this operation needs one of the roles {', '.join(sorted(allowed))}"

    return guarded_by(handler, refusal)


def callers_by_operation(contract: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """operationId -> the services that may call it, for operations declaring x-callers."""
    return {
        op.operation_id: frozenset(op.callers)
        for op in operations(contract)
        if op.operation_id is not None and op.callers is not None
    }


def require_callers(handler: Handler, allowed: frozenset[str]) -> Handler:
    def refusal() -> str | None:
        caller = verified_caller()
        if caller is not None and caller.service in allowed:
            return None
        who = quoted(caller.uri) if caller else "an unidentified caller"
        return f"only {', '.join(sorted(allowed))} may call this operation, not {who}"

    return guarded_by(handler, refusal)
