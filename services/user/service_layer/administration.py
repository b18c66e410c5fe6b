"""What admins do to accounts. Which roles may call each operation is in the contract
(`x-roles`); the rules here are the ones that depend on the accounts involved."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from uuid import UUID

from services.user.domain.errors import WouldLockOut
from services.user.domain.model import User
from services.user.service_layer.use_cases import UserDeps, get_user


async def list_users(deps: UserDeps, *, limit: int, offset: int) -> Sequence[User]:
    return await deps.users.list(limit=limit, offset=offset)


async def set_roles(deps: UserDeps, *, actor_id: UUID, user_id: UUID, roles: Iterable[str]) -> User:
    user = await get_user(deps, user_id)
    changed = user.with_roles(roles)
    if actor_id == user_id and not changed.is_admin:
        raise WouldLockOut("remove the Admin role from")
    await deps.users.save_access(changed)
    return changed


async def set_disabled(deps: UserDeps, *, actor_id: UUID, user_id: UUID, disabled: bool) -> User:
    if actor_id == user_id:
        raise WouldLockOut("disable or enable")
    user = await get_user(deps, user_id)
    changed = user.with_disabled(disabled)
    await deps.users.save_access(changed)
    if disabled:
        # Refresh stops at once; access tokens already out expire within their short lifetime.
        await deps.sessions.revoke_user(user_id, deps.clock())
    return changed
