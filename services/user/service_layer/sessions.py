"""Login, refresh and logout: short-lived access tokens, rotating refresh tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.common.auth import IssuedToken
from services.user.domain.errors import (
    AccountDisabled,
    InvalidCredentials,
    InvalidRefreshToken,
    LoginThrottled,
)
from services.user.domain.login_throttle import throttle_account, throttle_address
from services.user.domain.model import RefreshToken, User, hash_refresh_token
from services.user.service_layer.use_cases import UserDeps


@dataclass(frozen=True)
class TokenPair:
    access: IssuedToken
    refresh_token: str
    refresh_expires_in: int


async def login(
    deps: UserDeps, *, username: str, password: str, client_address: str | None
) -> TokenPair:
    now = deps.clock()
    # Known or not, the username is counted the same way: the throttle tells nobody which exist.
    account, address = throttle_account(username), throttle_address(client_address)
    attempt = await deps.login_attempts.begin(
        account,
        address,
        now,
        since=now - deps.throttle.window,
        pair_limit=deps.throttle.pair_limit,
    )
    wait = deps.throttle.retry_after(attempt.before, now)
    if wait is not None:
        # No password was checked: no failure, and hammering does not make the wait longer.
        await deps.login_attempts.withdraw(attempt.id)
        deps.on_throttled()
        raise LoginThrottled(wait)
    user = await deps.users.get_by_username(username)
    # Known or not, one hash is verified; the attempt stays counted as a failure unless the
    # password is right. The timing is the same.
    password_hash = user.password_hash if user else deps.decoy_password_hash
    if not deps.hasher.verify(password_hash, password) or user is None:
        raise InvalidCredentials()
    # The right password: this pair's failures were the owner's typos. Other addresses' failures
    # on this account, and this address's on other accounts, stay counted.
    await deps.login_attempts.clear_pair(account, address)
    if user.disabled:
        raise AccountDisabled()
    return await _issue_pair(deps, user, family_id=deps.new_id(), now=now)


async def refresh(deps: UserDeps, *, refresh_token: str) -> TokenPair:
    now = deps.clock()
    stored = await deps.sessions.get_by_hash(hash_refresh_token(refresh_token))
    if stored is None or stored.revoked_at is not None or now >= stored.expires_at:
        raise InvalidRefreshToken()
    # A spent token presented again was copied: end the whole session, thief and owner alike.
    if stored.used_at is not None or not await deps.sessions.mark_used(stored.id, now):
        await deps.sessions.revoke_family(stored.family_id, now)
        raise InvalidRefreshToken()
    user = await deps.users.get(stored.user_id)
    if user is None or user.disabled:
        await deps.sessions.revoke_family(stored.family_id, now)
        raise InvalidRefreshToken()
    return await _issue_pair(deps, user, family_id=stored.family_id, now=now)


async def logout(deps: UserDeps, *, refresh_token: str) -> None:
    """Ends the session the token belongs to. Unknown tokens are ignored: logging out twice is
    not an error, and the answer must not tell which tokens exist."""
    stored = await deps.sessions.get_by_hash(hash_refresh_token(refresh_token))
    if stored is not None:
        await deps.sessions.revoke_family(stored.family_id, deps.clock())


async def _issue_pair(deps: UserDeps, user: User, *, family_id: UUID, now: datetime) -> TokenPair:
    value = secrets.token_urlsafe(32)
    await deps.sessions.add(
        RefreshToken(
            id=deps.new_id(),
            family_id=family_id,
            user_id=user.id,
            token_hash=hash_refresh_token(value),
            created_at=now,
            expires_at=now + deps.refresh_ttl,
        )
    )
    return TokenPair(
        access=deps.tokens.issue(user.id, user.username, user.roles),
        refresh_token=value,
        refresh_expires_in=int(deps.refresh_ttl.total_seconds()),
    )
