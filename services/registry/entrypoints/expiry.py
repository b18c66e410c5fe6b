"""Drops instances whose heartbeats stopped, for as long as the registry runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from services.registry.service_layer.use_cases import RegistryDeps, expire_instances

log = logging.getLogger(__name__)


async def _expire_forever(deps: RegistryDeps, interval_seconds: float) -> None:
    while True:
        for instance in expire_instances(deps):
            log.warning("dropped %s/%s: no heartbeat within its TTL", instance.service, instance.id)
        await asyncio.sleep(interval_seconds)


@asynccontextmanager
async def expiring(deps: RegistryDeps, interval_seconds: float) -> AsyncIterator[None]:
    task = asyncio.create_task(_expire_forever(deps, interval_seconds), name="registry-expiry")
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
