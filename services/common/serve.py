"""Run a service: uvicorn for its app (whose lifespan owns its resources) and, in the mesh,
its registration; a stop signal drains the instance out of the mesh before it stops."""

from __future__ import annotations

import asyncio
import logging
import uuid
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any

import uvicorn

from services.common.json_logs import RequestLogContext, configure_json_logging
from services.common.readiness import REGISTERED, SERVING, announce
from services.common.registrar import InstanceIdentity, Registrar
from services.common.settings import ServiceSettings
from services.common.tracing import configure_tracing, shutdown_tracing, traced_app
from services.common.unix_sockets import bind_private_socket

log = logging.getLogger(__name__)
# Until the registry has it, an instance that has just started retries its registration this
# often, for this long at most (a registry that is down is not called ten times a second for
# ever: then only the registrar's own beats, every heartbeat interval, try).
FIRST_REGISTRATION_RETRY_SECONDS = 0.1
FIRST_REGISTRATION_EAGER_SECONDS = 10.0


class DrainingServer(uvicorn.Server):
    """On the first SIGTERM/SIGINT, leave the mesh and keep serving for `drain_seconds` (Envoys
    stop routing here meanwhile), then stop as uvicorn does: refuse new connections, finish
    in-flight requests, run the lifespan's shutdown. A second signal stops at once."""

    def __init__(self, config: uvicorn.Config, registrar: Registrar | None, drain: float) -> None:
        super().__init__(config)
        self._registrar = registrar
        self._drain_seconds = drain
        self._draining: asyncio.Task[None] | None = None
        self._announcing: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def serve(self, sockets: Any = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._announcing = asyncio.create_task(self._announce_ready(), name="ready")

    async def _announce_ready(self) -> None:
        """Register now rather than at the registrar's next beat (its first one came before
        the server answered), then tell the launcher (services/common/readiness.py)."""
        if self._registrar is None:
            announce(SERVING)
            return
        loop = asyncio.get_running_loop()
        eager_until = loop.time() + FIRST_REGISTRATION_EAGER_SECONDS
        while not self._registrar.registered and not self.should_exit:
            if loop.time() < eager_until:
                await self._registrar.beat()
            if not self._registrar.registered:
                await asyncio.sleep(FIRST_REGISTRATION_RETRY_SECONDS)
        if self._registrar.registered:
            announce(REGISTERED)

    def handle_exit(self, sig: int, frame: Any) -> None:
        if self._loop is None or self._draining is not None or not self.started:
            super().handle_exit(sig, frame)
            return
        self._loop.call_soon_threadsafe(self._start_draining)

    def _start_draining(self) -> None:
        if self._announcing is not None:
            self._announcing.cancel()  # leaving: no registration may follow
        if self._draining is None:
            self._draining = asyncio.create_task(self._drain_then_exit(), name="drain")

    async def _drain_then_exit(self) -> None:
        if self._registrar is not None:
            await self._registrar.leave()
        log.info("draining for %ss before stopping", self._drain_seconds)
        await asyncio.sleep(self._drain_seconds)
        self.should_exit = True


def _instance_id(settings: ServiceSettings, service: str) -> str:
    return settings.instance_id or f"{service}-{uuid.uuid4().hex[:8]}"


def _registrar(settings: ServiceSettings, service: str, instance_id: str) -> Registrar | None:
    if not settings.registry_addr:
        return None
    identity = InstanceIdentity(
        service=service,
        instance_id=instance_id,
        advertise_addr=settings.advertise_addr or f"{settings.host}:{settings.port}",
        health_url=f"http://{settings.host}:{settings.port}/healthz",
        health_socket=settings.uds,
        metrics_port=settings.metrics_port,
    )
    return Registrar(settings.registry_addr, identity, settings.heartbeat_interval_seconds)


def uvicorn_config(app: Any, settings: ServiceSettings) -> uvicorn.Config:
    """How every service's app is served (bench/bare_starlette.py serves its app alike)."""
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        lifespan="on",
        log_level=settings.log_level.lower(),
        http=settings.http_implementation,
        loop=settings.event_loop,
        access_log=False,
        # uvicorn's loggers propagate to the root's JSON lines (json_logs) instead of getting
        # text handlers of their own.
        log_config=None,
        timeout_graceful_shutdown=10,
    )


async def _serve(app: Any, settings: ServiceSettings, service: str, instance_id: str) -> None:
    # Logs outermost: a request's log lines have its ids whatever its span does.
    config = uvicorn_config(RequestLogContext(traced_app(app)), settings)
    registrar = _registrar(settings, service, instance_id)
    server = DrainingServer(config, registrar, settings.drain_seconds)
    registration: AbstractAsyncContextManager[Any] = (
        registrar.running() if registrar else nullcontext()
    )
    # A socket bound here (mode 0600), not by uvicorn (which makes it 0666).
    sockets = [bind_private_socket(settings.uds)] if settings.uds else None
    async with registration:
        await server.serve(sockets)


def serve(app: Any, settings: ServiceSettings, service: str) -> None:
    """Serve until SIGINT/SIGTERM, then drain and stop gracefully."""
    instance_id = _instance_id(settings, service)
    configure_json_logging(settings.log_level, service, instance_id)
    configure_tracing(service, instance_id)
    # The loop uvicorn.run would pick (uvloop for "auto" when installed): asyncio.run alone
    # always ran the default asyncio loop, whatever the config said.
    loop_factory = uvicorn_config(app, settings).get_loop_factory()
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(_serve(app, settings, service, instance_id))
    finally:
        shutdown_tracing()
