"""Accounts. Pure Python: no framework, no database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class User:
    id: UUID
    username: str
    email: str
    password_hash: str
    created_at: datetime


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively for uniqueness (the domain part is case-insensitive,
    and no mail provider we know of treats local parts by case)."""
    return email.strip().lower()
