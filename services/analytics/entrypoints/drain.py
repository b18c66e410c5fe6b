"""Graceful stop for gRPC: grpclib's Server.close() cancels RPCs in flight, so shutdown first
refuses new RPCs (UNAVAILABLE: clients and Envoy retry elsewhere) and waits for running ones."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from grpclib import GRPCError, Status


class Drain:
    def __init__(self) -> None:
        self._active = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.draining = False

    @asynccontextmanager
    async def track(self) -> AsyncIterator[None]:
        """Wrap one RPC's work."""
        if self.draining:
            raise GRPCError(Status.UNAVAILABLE, "analytics is shutting down; retry elsewhere")
        self._active += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._active -= 1
            if self._active == 0:
                self._idle.set()

    async def wait_idle(self, grace_seconds: float) -> int:
        """Refuse new RPCs and wait for the running ones; how many are left after the grace."""
        self.draining = True
        try:
            async with asyncio.timeout(grace_seconds):
                await self._idle.wait()
        except TimeoutError:
            pass
        return self._active
