"""The analytics gRPC endpoint: market data services plus grpc.health.v1, with a graceful stop.

Built and started inside the REST app's lifespan: grpclib binds to the running event loop."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from grpclib.server import Server

from services.analytics.entrypoints.drain import Drain
from services.analytics.entrypoints.grpc import LegacyMarketDataService, MarketDataService
from services.analytics.entrypoints.tick_batch_codec import (
    MAX_BATCH_MESSAGE_BYTES,
    TickBatchCodec,
)
from services.analytics.service_layer.use_cases import AnalyticsDeps
from services.common.database import READINESS_TIMEOUT_SECONDS
from services.common.grpc_callers import admitting_only
from services.common.grpc_log_context import logging_call_ids
from services.common.grpc_messages import MessageLimits, refusing_long_requests
from services.common.market_data import MAX_TICK_MESSAGE_BYTES
from services.common.metrics import AppMetrics, counting_calls
from services.common.tracing import traced_calls
from services.common.unix_sockets import bind_private_socket

if TYPE_CHECKING:
    from grpclib.health.service import Health

log = logging.getLogger(__name__)

# A health answer may be this old; the check itself is /healthz's `SELECT 1`, bounded alike.
HEALTH_CHECK_TTL_SECONDS = 1.0
HEALTH_CHECK_TIMEOUT_SECONDS = READINESS_TIMEOUT_SECONDS
# Every request carries one tick (MAX_TICK_MESSAGE_BYTES says why that bound), or a health
# check's service name, but a TickBatch: that one method takes messages up to
# MAX_BATCH_MESSAGE_BYTES (each method's bound is checked from the length prefix; the codec's
# is the largest). Every answer (an acknowledgement, a stream's counts, a health status) is a
# few bytes, so the one-tick bound is generous for what this server sends.
MESSAGE_LIMITS = MessageLimits(
    max_receive_bytes=MAX_BATCH_MESSAGE_BYTES, max_send_bytes=MAX_TICK_MESSAGE_BYTES
)
BATCH_METHOD = "/capsure.analytics.v1.MarketDataService/StreamTickBatches"


@dataclass(frozen=True)
class GrpcEndpoint:
    server: Server
    drain: Drain

    async def stop(self, grace_seconds: float) -> None:
        left = await self.drain.wait_idle(grace_seconds)
        if left:
            log.warning(
                "gRPC shutdown: cancelling %d RPCs still running after %ss", left, grace_seconds
            )
        self.server.close()
        await self.server.wait_closed()


def _health(
    services: list[MarketDataService | LegacyMarketDataService],
    drain: Drain,
    ready: Callable[[], Awaitable[bool]],
) -> Health:
    # Imported only when serving: grpclib's health_pb2 and grpcio-health-checking's cannot be
    # loaded in one process (duplicate descriptor), and merely importing this app must not
    # stop a test process from using a stock grpcio health client.
    from grpclib.health.check import ServiceCheck
    from grpclib.health.service import Health

    async def serving() -> bool:
        return not drain.draining and await ready()

    check = ServiceCheck(
        serving, check_ttl=HEALTH_CHECK_TTL_SECONDS, check_timeout=HEALTH_CHECK_TIMEOUT_SECONDS
    )
    # Named per service (Envoy checks by name); Health adds "" (overall) with the same check.
    return Health({service: [check] for service in services})


@asynccontextmanager
async def serving_grpc(
    deps: AnalyticsDeps,
    ready: Callable[[], Awaitable[bool]],
    *,
    host: str,
    port: int,
    grace_seconds: float,
    socket: Path | None = None,
    callers: frozenset[str] | None = None,
    metrics: AppMetrics | None = None,
) -> AsyncIterator[GrpcEndpoint]:
    """The endpoint for the lifetime of the app: running RPCs get `grace_seconds` at the end."""
    endpoint = await start_grpc_endpoint(
        deps, ready, host=host, port=port, socket=socket, callers=callers, metrics=metrics
    )
    try:
        yield endpoint
    finally:
        await endpoint.stop(grace_seconds)


async def start_grpc_endpoint(
    deps: AnalyticsDeps,
    ready: Callable[[], Awaitable[bool]],
    *,
    host: str,
    port: int,
    socket: Path | None = None,
    callers: frozenset[str] | None = None,
    metrics: AppMetrics | None = None,
) -> GrpcEndpoint:
    """Serves on host:port, or on the Unix socket `socket` (mode 0600: only the sidecar).
    `callers`: the workloads the market data services admit (None: any, without sidecars);
    `metrics`: where its calls are counted (None: nowhere)."""
    drain = Drain()
    services = [MarketDataService(deps, drain), LegacyMarketDataService(deps, drain)]
    ingest = [s if callers is None else admitting_only(s, callers) for s in services]
    servables = [*ingest, _health(services, drain, ready)]
    if metrics is not None:
        servables = [counting_calls(s, metrics) for s in servables]
    servables = [traced_calls(s) for s in servables]  # a span per call, when tracing is on
    server = Server(
        [
            # Outermost: what the checks inside refuse is logged with the call's ids.
            logging_call_ids(
                refusing_long_requests(
                    s, MAX_TICK_MESSAGE_BYTES, per_method={BATCH_METHOD: MAX_BATCH_MESSAGE_BYTES}
                )
            )
            for s in servables
        ],
        codec=TickBatchCodec(MESSAGE_LIMITS),
    )
    if socket is not None:
        # Bound here (0600 before anyone can connect) and handed over: grpclib's own
        # start(path=...) would leave the file's mode to the umask.
        await server.start(sock=bind_private_socket(socket))
    else:
        await server.start(host, port)
    log.info("analytics gRPC serving on %s", socket or f"{host}:{port}")
    return GrpcEndpoint(server=server, drain=drain)
