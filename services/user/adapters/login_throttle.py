"""LoginAttempts on the user database: failures are rows, so every instance sees the same count
(an in-memory counter per instance would multiply the limits by the instance count)."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.user.adapters.orm import LoginFailureRecord
from services.user.domain.login_throttle import FailureHistory
from services.user.service_layer.ports import LoginAttempt

# Rows past the window count for nothing (every count reads the window only): they are deleted
# at most this often per instance, not on every attempt, where on a shared SQLite file each
# delete took the one write lock. The table holds the window and this much more.
PRUNE_EVERY = timedelta(seconds=30)


class DatabaseLoginAttempts:
    def __init__(self, prune_every: timedelta = PRUNE_EVERY) -> None:
        self._prune_every = prune_every
        self._pruned_at: datetime | None = None

    async def begin(
        self, account: str, address: str, now: datetime, *, since: datetime, pair_limit: int
    ) -> LoginAttempt:
        await self._prune(now, since)
        # Written (and committed) before the counts are read: of attempts racing, the last one
        # let through has seen every other one let through, so no more than the limit pass
        # together (all may be refused instead, which is the safe side).
        row = await LoginFailureRecord.create(account=account, address=address, failed_at=now)
        others = LoginFailureRecord.filter(failed_at__gt=since).exclude(id=row.id)
        pair = await (
            others.filter(account=account, address=address)
            .order_by("-failed_at")
            .limit(pair_limit)
            .values_list("failed_at", flat=True)
        )
        from_address = others.filter(address=address)
        newest = (
            await from_address.order_by("-failed_at").limit(1).values_list("failed_at", flat=True)
        )
        return LoginAttempt(
            id=row.id,
            before=FailureHistory(
                pair=tuple(pair),
                address_count=await from_address.count() if newest else 0,
                address_newest=newest[0] if newest else None,
            ),
        )

    async def withdraw(self, attempt_id: int) -> None:
        await LoginFailureRecord.filter(id=attempt_id).delete()

    async def clear_pair(self, account: str, address: str) -> None:
        await LoginFailureRecord.filter(account=account, address=address).delete()

    async def _prune(self, now: datetime, since: datetime) -> None:
        last = self._pruned_at
        # A clock set back (now before the last prune) prunes too, rather than waiting for it.
        if last is None or not last <= now < last + self._prune_every:
            self._pruned_at = now
            await LoginFailureRecord.filter(failed_at__lte=since).delete()
