"""Where Idempotency-Key responses are kept: the service's database (one transaction with the
handler's writes), or memory when a service runs on in-memory fakes (tests)."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from services.common.idempotency import KeyRace, StoredResponse
from services.common.idempotency_orm import IdempotencyRecordModel


class DatabaseIdempotencyStore:
    def __init__(self, connection_name: str, model: type[IdempotencyRecordModel]) -> None:
        self._connection_name = connection_name
        self._model = model

    @classmethod
    def of_service(cls, connection_name: str, models_module: str) -> DatabaseIdempotencyStore:
        """The store on a service's own `IdempotencyRecord` model (in its adapters/orm.py)."""
        model = importlib.import_module(models_module).IdempotencyRecord
        return cls(connection_name, model)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        # Tortoise binds the transaction to this task: the handler's repositories write in it.
        async with in_transaction(self._connection_name):
            yield

    async def find(self, scope: str, key: str, now: datetime) -> StoredResponse | None:
        # A write first: an expired record of the key makes way, and on SQLite the transaction
        # takes the write lock now, waiting its turn (busy_timeout). Reading first would pin a
        # snapshot that another instance's commit makes stale, and the later write would fail
        # at once with "database is locked" instead of waiting.
        await self._model.filter(scope=scope, key=key, expires_at__lte=now).delete()
        record = await self._model.get_or_none(scope=scope, key=key, expires_at__gt=now)
        if record is None:
            return None
        return StoredResponse(
            fingerprint=record.fingerprint,
            status=record.response_status,
            body=record.response_body,
            headers=dict(record.response_headers or {}),
        )

    async def save(
        self, scope: str, key: str, response: StoredResponse, now: datetime, expires_at: datetime
    ) -> None:
        # find() cleared an expired record of the key; other expired ones go a few at a time.
        model = self._model
        try:
            await model.create(
                scope=scope,
                key=key,
                fingerprint=response.fingerprint,
                response_status=response.status,
                response_body=response.body,
                response_headers=response.headers,
                created_at=now,
                expires_at=expires_at,
            )
        except IntegrityError as error:
            raise KeyRace() from error
        expired = await model.filter(expires_at__lte=now).limit(10).values_list("id", flat=True)
        if expired:
            await model.filter(id__in=list(expired)).delete()


class InMemoryIdempotencyStore:
    """One process's memory: enough for a single instance on fakes, not for a mesh."""

    def __init__(self) -> None:
        self._records: dict[tuple[str, str], tuple[StoredResponse, datetime]] = {}
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        async with self._lock:  # one keyed request at a time: duplicates wait, then replay
            yield

    async def find(self, scope: str, key: str, now: datetime) -> StoredResponse | None:
        found = self._records.get((scope, key))
        return found[0] if found and found[1] > now else None

    async def save(
        self, scope: str, key: str, response: StoredResponse, now: datetime, expires_at: datetime
    ) -> None:
        self._records[(scope, key)] = (response, expires_at)
