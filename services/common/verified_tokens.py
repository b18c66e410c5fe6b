"""Tokens already verified, so a client's next request skips the signature check.

A bounded LRU keyed by the exact token string. Only a token that passed every check is kept
(a forged or junk token never enters it), with what a hit must check again: its expiry (an
entry never outlives the token's `exp`) and the key it was verified with (an entry dies with
its key's presence in the issuer's keys: a retired or rotated-out key refuses its tokens as
before). Access tokens are not revoked before `exp` anywhere (logout and role changes revoke
refresh tokens: a new access token needs one), so those two checks keep verification's
semantics."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

CAPACITY = 2048  # distinct live tokens kept: one per active client session, roughly
MAX_TOKEN_CHARS = 2048  # a larger token is verified each time, never kept (bounds memory)


@dataclass(frozen=True)
class VerifiedToken:
    claims: dict[str, Any]  # as verified; handed out as copies
    kid: str
    key: Any  # the public key it was verified with
    expires_at: float  # its `exp`, seconds since the epoch


class VerifiedTokens:
    def __init__(self, capacity: int = CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._capacity = capacity
        self._entries: OrderedDict[str, VerifiedToken] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token: str) -> VerifiedToken | None:
        entry = self._entries.get(token)
        if entry is not None:
            self._entries.move_to_end(token)
        return entry

    def keep(self, token: str, entry: VerifiedToken) -> None:
        if len(token) > MAX_TOKEN_CHARS:
            return
        self._entries[token] = entry
        self._entries.move_to_end(token)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)  # the least recently used

    def forget(self, token: str) -> None:
        self._entries.pop(token, None)
