"""Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) for the operations whose contract
declares the header: the first response to a key is stored and replayed for the same request;
the same key on another request is a 422.

The claim, the handler's own writes and the stored response commit in one transaction of the
service's database: a retry either finds the finished response or nothing at all, never half a
write. A concurrent duplicate waits on the key's unique index and then replays (PostgreSQL), or
waits for the database lock (SQLite). Keys are per operation and per caller, so nobody can
read another caller's response by guessing a key. The caller is the verified token's subject;
without a token, the workload this instance's sidecar verified (an internal call: trading
moving a sold NFT, publishing an event), whose keys are its own as a user's are.

Anonymous people (registration, logout: forwarded by the edge, which speaks for everyone)
have neither: their scope is the request itself (its fingerprint). The same key with another
request is then another scope, answered afresh: no 422 that tells one client another's key is
taken, and no replay of another client's answer. Only a request identical to one already
answered (a retry, or someone who knows its whole body: a registration's password included)
gets the replay."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from connexion import request
from connexion.context import context

from services.common.caller import verified_caller
from services.common.contracts import operations
from services.common.headers import IDEMPOTENCY_KEY as HEADER
from services.common.headers import IDEMPOTENT_REPLAYED as REPLAYED_HEADER
from services.common.workload_identity import EDGE

ANONYMOUS = "anonymous"  # a scope's caller part when nobody is known (then the request's too)
WORKLOAD = "workload"  # a scope's caller part for a peer calling without a token
# Response headers worth replaying (Location of a created resource); not Date, not lengths.
REPLAYED_HEADERS = ("Location", "Content-Type", "Retry-After")


class IdempotencyKeyReused(Exception):
    """The key was used for a different request by the same caller."""

    def __init__(self) -> None:
        super().__init__(f"this {HEADER} was already used with a different request; use a new key")


class KeyRace(Exception):
    """Another request claimed the same key first (its transaction committed meanwhile)."""


@dataclass(frozen=True)
class StoredResponse:
    fingerprint: str
    status: int
    body: Any
    headers: dict[str, str]


class IdempotencyStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[Any]: ...

    async def find(self, scope: str, key: str, now: datetime) -> StoredResponse | None:
        """The unexpired response stored for the key, if any."""
        ...

    async def save(
        self, scope: str, key: str, response: StoredResponse, now: datetime, expires_at: datetime
    ) -> None:
        """Store the response; raises KeyRace when the key was taken meanwhile."""
        ...


@dataclass(frozen=True)
class Idempotency:
    store: IdempotencyStore
    ttl: timedelta
    clock: Callable[[], datetime]
    # Told the operationId of every answer replayed (the app's metrics count them).
    on_replay: Callable[[str], None] = lambda operation_id: None

    def wrap(
        self, operation_id: str, handler: Callable[..., Awaitable[Any]]
    ) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(handler)  # connexion reads the wrapped signature to inject arguments
        async def idempotent(*args: Any, **kwargs: Any) -> Any:
            key = request.headers.get(HEADER)
            if not key:
                return await handler(*args, **kwargs)
            fingerprint = _fingerprint(kwargs.get("body"))
            scope = f"{operation_id}:{_caller() or f'{ANONYMOUS}:{fingerprint}'}"
            try:
                stored, result = await self._first_or_stored(
                    scope, key, fingerprint, handler, args, kwargs
                )
            except KeyRace:
                # The other request committed first: its response is the answer.
                stored = await self.store.find(scope, key, self.clock())
                if stored is None:
                    raise
            if stored is None:
                return result
            replayed = _replay(stored, fingerprint)
            self.on_replay(operation_id)
            return replayed

        return idempotent

    async def _first_or_stored(
        self,
        scope: str,
        key: str,
        fingerprint: str,
        handler: Callable[..., Awaitable[Any]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> tuple[StoredResponse | None, Any]:
        """(the stored answer, None) when the key was used before, else (None, the handler's
        result, now stored under the key), in one transaction."""
        async with self.store.transaction():
            now = self.clock()
            stored = await self.store.find(scope, key, now)
            if stored is not None:
                return stored, None
            result = await handler(*args, **kwargs)
            body, status, headers = response_parts(result)
            response = StoredResponse(fingerprint, status, body, _kept(headers))
            await self.store.save(scope, key, response, now, now + self.ttl)
            return None, result


def response_parts(result: Any) -> tuple[Any, int, Mapping[str, str]]:
    """(body, status, headers) of a handler's return value (a body, or a tuple of them)."""
    if isinstance(result, tuple):
        body, status, headers = (*result, None, None)[:3]
        return body, status or (200 if body is not None else 204), headers or {}
    return result, 200 if result is not None else 204, {}


def _replay(stored: StoredResponse, fingerprint: str) -> tuple[Any, int, dict[str, str]]:
    if stored.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    return stored.body, stored.status, {**stored.headers, REPLAYED_HEADER: "true"}


def _kept(headers: Mapping[str, str]) -> dict[str, str]:
    wanted = {name.lower() for name in REPLAYED_HEADERS}
    return {name: value for name, value in headers.items() if name.lower() in wanted}


def _caller() -> str | None:
    """The verified token's subject (Connexion puts verified claims here); else the service
    that called, as this instance's sidecar verified it; None if anonymous. The edge is nobody:
    it forwards anonymous people, whose keys must not meet in one scope."""
    token_info = context.get("token_info") or {}
    subject = token_info.get("sub")
    if subject:
        return str(subject)
    caller = verified_caller()
    if caller is not None and caller.service is not None and caller.service != EDGE:
        return f"{WORKLOAD}:{caller.service}"
    return None


def _fingerprint(body: Any) -> str:
    # The path (with its parameters) and query identify the target; the body the content.
    canonical = json.dumps(
        {
            "path": request.url.path,
            "query": sorted(request.query_params.multi_items()),
            "body": body,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def operations_with_key(contract: Mapping[str, Any]) -> set[str]:
    """operationIds whose contract declares the Idempotency-Key header (directly, by $ref, or
    on the path item) and leaves it to this wrapper. `x-idempotency-key: by-operation` marks an
    operation that keeps its own record of the key: a saga whose steps commit one by one cannot
    run inside the wrapper's single transaction."""
    return {
        op.operation_id
        for op in operations(contract)
        if op.operation_id is not None and op.idempotency_key and not op.keeps_own_keys
    }
