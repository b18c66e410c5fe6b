"""Drops instances whose heartbeats stopped, for as long as the registry runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from services.registry.domain.model import RegisteredInstance
from services.registry.service_layer.use_cases import RegistryDeps, expire_instances

log = logging.getLogger(__name__)


OnExpired = Callable[[RegisteredInstance], None]


async def _expire_forever(
    deps: RegistryDeps, interval_seconds: float, on_expired: OnExpired
) -> None:
    while True:
        for instance in expire_instances(deps):
            log.warning("dropped %s/%s: no heartbeat within its TTL", instance.service, instance.id)
            on_expired(instance)
        await asyncio.sleep(interval_seconds)


@asynccontextmanager
async def expiring(
    deps: RegistryDeps, interval_seconds: float, on_expired: OnExpired = lambda _: None
) -> AsyncIterator[None]:
    """Expire instances every `interval_seconds`; `on_expired` hears of each dropped."""
    expiry = _expire_forever(deps, interval_seconds, on_expired)
    task = asyncio.create_task(expiry, name="registry-expiry")
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
