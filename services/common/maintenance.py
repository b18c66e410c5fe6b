"""Maintenance mode: take a running instance out of rotation without stopping it.

`kill -USR1 <pid>` makes its /healthz fail (Envoy's health checks stop routing to it, the
registrar reports NOT_SERVING); `kill -USR2 <pid>` puts it back."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

log = logging.getLogger(__name__)


class MaintenanceSwitch:
    def __init__(self) -> None:
        self.active = False

    def set(self, active: bool) -> None:
        if active != self.active:
            log.warning("maintenance mode %s", "on: failing readiness" if active else "off")
        self.active = active

    def gate(self, ready: Callable[[], Awaitable[bool]]) -> Callable[[], Awaitable[bool]]:
        """`ready`, but never while in maintenance."""

        async def gated() -> bool:
            return not self.active and await ready()

        return gated

    @asynccontextmanager
    async def listening(self) -> AsyncIterator[None]:
        """React to SIGUSR1/SIGUSR2 while the app runs (signals reach the main thread's loop)."""
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGUSR1, self.set, True)
            loop.add_signal_handler(signal.SIGUSR2, self.set, False)
        except (NotImplementedError, RuntimeError):  # not the main thread (in-process tests)
            yield
            return
        try:
            yield
        finally:
            loop.remove_signal_handler(signal.SIGUSR1)
            loop.remove_signal_handler(signal.SIGUSR2)
