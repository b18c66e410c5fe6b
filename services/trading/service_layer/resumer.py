"""Resumes pending purchases nobody is working on, so a purchase whose buyer never retries
still completes or compensates. Runs in the background for the lifetime of the app; several
instances may run it on one database (each purchase is claimed before it is resumed)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from services.common.background import running_in_background
from services.trading.service_layer import settlement
from services.trading.service_layer.deps import TradingDeps

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResumePolicy:
    interval_seconds: float = 5.0
    # Untouched this long: nobody is working on it (longer than one nft call takes).
    stale_after_seconds: float = 5.0
    batch_size: int = 50
    # One pass at most this long, so a hanging peer cannot stall the loop (or its stop).
    pass_timeout_seconds: float = 60.0


@dataclass
class PurchaseResumer:
    deps: TradingDeps
    policy: ResumePolicy = field(default_factory=ResumePolicy)

    async def run_once(self) -> int:
        """One pass over the stale pending purchases; how many this pass resumed."""
        market = self.deps.marketplace
        now = self.deps.clock()
        stale = await market.purchases.stale_pending(
            now - timedelta(seconds=self.policy.stale_after_seconds), self.policy.batch_size
        )
        resumed = 0
        for purchase in stale:
            async with self.deps.transaction():
                claimed = await market.purchases.claim(purchase, self.deps.clock())
            if claimed:  # else another instance (or a retry) took it meanwhile
                await settlement.resume(self.deps, purchase)
                resumed += 1
        return resumed

    async def run(self) -> None:
        while True:
            try:
                # asyncio.timeout, not wait_for: see the note in services/common/outbox.py.
                async with asyncio.timeout(self.policy.pass_timeout_seconds):
                    await self.run_once()
            except Exception:  # the database or nft may be away for a while: keep trying
                log.exception("resuming pending purchases failed")
            await asyncio.sleep(self.policy.interval_seconds)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[PurchaseResumer]:
        async with running_in_background(self.run, "purchase-resumer"):
            yield self
