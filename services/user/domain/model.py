"""Accounts, their roles and their sessions. Pure Python: no framework, no database."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from services.common.auth import KNOWN_ROLES, Role


@dataclass(frozen=True)
class User:
    id: UUID
    username: str
    email: str
    password_hash: str
    created_at: datetime
    roles: frozenset[str] = frozenset({Role.USER.value})
    disabled: bool = False

    def with_roles(self, roles: Iterable[str]) -> User:
        return replace(self, roles=normalise_roles(roles))

    def with_disabled(self, disabled: bool) -> User:
        return replace(self, disabled=disabled)

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN.value in self.roles


@dataclass(frozen=True)
class RefreshToken:
    """One link of a session's chain: each refresh spends it and issues the next one in the
    same family; presenting a spent one means it was stolen, and the whole family is revoked."""

    id: UUID
    family_id: UUID
    user_id: UUID
    token_hash: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None

    def usable_at(self, now: datetime) -> bool:
        return self.revoked_at is None and self.used_at is None and now < self.expires_at


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively for uniqueness (the domain part is case-insensitive,
    and no mail provider we know of treats local parts by case)."""
    return email.strip().lower()


def normalise_roles(roles: Iterable[str]) -> frozenset[str]:
    """Every account keeps the User role; unknown roles are a programming error upstream."""
    wanted = frozenset(roles) | {Role.USER.value}
    unknown = wanted - KNOWN_ROLES
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    return wanted


def hash_refresh_token(token: str) -> str:
    # Refresh tokens are 256 random bits: a plain SHA-256 is enough to make a stolen database
    # useless for replay (no dictionary to attack), and it is an indexable lookup key.
    return hashlib.sha256(token.encode()).hexdigest()
