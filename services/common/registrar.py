"""Keeps one instance registered in the mesh's registry while it runs.

Registers once the instance's own /healthz says ready, heartbeats (re-registers, with the
current readiness as status) every interval, and deregisters when asked to leave. Heartbeats
that fail are retried on the next beat: a restarted registry is repopulated within one
interval, and a registry that is down never stops the service."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from generated.rest.registry_client import Client
from generated.rest.registry_client.api.instances import deregister_instance, register_instance
from generated.rest.registry_client.models import Registration, Status
from services.common.addresses import HttpTarget, http_target, split_address

log = logging.getLogger(__name__)
TIMEOUT = httpx.Timeout(2.0)


@dataclass(frozen=True)
class InstanceIdentity:
    service: str
    instance_id: str
    advertise_addr: str  # where peers reach it (its sidecar's inbound listener)
    health_url: str  # its own readiness probe
    health_socket: Path | None = None  # where the app listens, when not on health_url's port
    metrics_port: int | None = None  # its sidecar's metrics listener, for Prometheus


class Registrar:
    def __init__(self, registry_addr: str, identity: InstanceIdentity, interval: float) -> None:
        """`registry_addr`: host:port, unix:/abs/path or a URL (services.common.addresses)."""
        registry = http_target(registry_addr)
        self._registry = Client(
            base_url=registry.url, timeout=TIMEOUT, httpx_args=registry.httpx_args()
        )
        probe = HttpTarget(identity.health_url, identity.health_socket)
        self._probe = httpx.AsyncClient(timeout=TIMEOUT, **probe.httpx_args())
        self._identity = identity
        self._interval = interval
        self._registered = False
        self._failing = False
        self._task: asyncio.Task[None] | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Registrar]:
        self._task = asyncio.create_task(self._beat_forever(), name="registrar")
        try:
            yield self
        finally:
            await self.leave()
            await self._probe.aclose()
            await self._registry.get_async_httpx_client().aclose()

    @property
    def registered(self) -> bool:
        """The registry has taken this instance's registration (at least once)."""
        return self._registered

    async def leave(self) -> None:
        """Stop heartbeating and deregister (once; later calls do nothing)."""
        if self._task is None:
            return
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None
        if self._registered:
            try:
                await deregister_instance.asyncio_detailed(
                    self._identity.service, self._identity.instance_id, client=self._registry
                )
                log.info("deregistered %s", self._identity.instance_id)
            except httpx.HTTPError as error:
                # Its TTL will drop it; nothing better to do on the way out.
                log.warning("could not deregister %s: %s", self._identity.instance_id, error)

    async def _beat_forever(self) -> None:
        while True:
            await self.beat()
            await asyncio.sleep(self._interval)

    async def beat(self) -> None:
        ready = await self._ready()
        if not ready and not self._registered:
            return  # not serving yet: peers must not be sent here before it is
        host, port = split_address(self._identity.advertise_addr)
        status = Status.SERVING if ready else Status.NOT_SERVING
        try:
            response = await register_instance.asyncio_detailed(
                self._identity.service,
                self._identity.instance_id,
                client=self._registry,
                body=self._registration(host, port, status),
            )
        except httpx.HTTPError as error:
            self._report(f"registry unreachable: {error!r}")
            return
        except (KeyError, ValueError, TypeError):
            # A 503/504 of the contract whose body is not its problem+json (a proxy's page).
            self._report("registry answered outside its contract")
            return
        if response.status_code not in (200, 201):
            self._report(f"registry answered {response.status_code}: {response.content[:200]!r}")
            return
        if response.status_code == 201:
            log.info(
                "registered %s at %s", self._identity.instance_id, self._identity.advertise_addr
            )
        self._registered, self._failing = True, False

    def _registration(self, host: str, port: int, status: Status) -> Registration:
        registration = Registration(host=host, port=port, status=status)
        if self._identity.metrics_port is not None:
            registration.metrics_port = self._identity.metrics_port
        return registration

    async def _ready(self) -> bool:
        try:
            return (await self._probe.get(self._identity.health_url)).status_code == 200
        except httpx.HTTPError:
            return False

    def _report(self, problem: str) -> None:
        # Once per outage, not once per beat.
        if not self._failing:
            log.warning("heartbeat of %s failed: %s", self._identity.instance_id, problem)
        self._failing = True
