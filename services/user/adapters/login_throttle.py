"""LoginThrottle on the user database: failures are rows, so every instance sees the same count
(an in-memory counter per instance would multiply the limit by the instance count)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from services.user.adapters.orm import LoginFailureRecord


class DatabaseLoginThrottle:
    def __init__(self, limits: Mapping[str, int], window_seconds: float) -> None:
        """`limits`: failures allowed per window for each key kind (the part before ':')."""
        self._limits = dict(limits)
        self._window = timedelta(seconds=window_seconds)

    async def retry_after(self, keys: Iterable[str], now: datetime) -> int | None:
        waits = [wait for key in keys if (wait := await self._wait_for(key, now)) is not None]
        return max(waits, default=None)

    async def record_failure(self, keys: Iterable[str], now: datetime) -> None:
        for key in keys:
            # Old rows of this key go as new ones come: the table stays as small as the window.
            expired = now - self._window
            await LoginFailureRecord.filter(throttle_key=key, failed_at__lte=expired).delete()
            await LoginFailureRecord.create(throttle_key=key, failed_at=now)

    async def clear(self, key: str) -> None:
        await LoginFailureRecord.filter(throttle_key=key).delete()

    async def _wait_for(self, key: str, now: datetime) -> int | None:
        limit = self._limits[key.split(":", 1)[0]]
        recent = (
            await LoginFailureRecord.filter(throttle_key=key, failed_at__gt=now - self._window)
            .order_by("-failed_at")
            .limit(limit)
            .values_list("failed_at", flat=True)
        )
        if len(recent) < limit:
            return None
        # Blocked until the limit-th newest failure leaves the window.
        free_at = recent[-1] + self._window
        return max(1, math.ceil((free_at - now).total_seconds()))
