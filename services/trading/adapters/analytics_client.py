"""MarketDataSink over gRPC: analytics' generated betterproto client on a grpclib Channel.

Every way a call can fail becomes one of the domain's AnalyticsError kinds, so the use case
and the REST layer never see grpclib types."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from grpclib import GRPCError, Status
from grpclib.client import Channel
from grpclib.exceptions import ProtocolError, StreamTerminatedError

from generated.grpc.capsure.analytics.v1 import MarketDataServiceStub, SendMarketDataResponse
from services.trading.domain.errors import (
    AnalyticsBadResponse,
    AnalyticsError,
    AnalyticsRejected,
    AnalyticsTimeout,
    AnalyticsUnavailable,
)
from services.trading.domain.model import MarketDataTick
from services.trading.mappers import tick_to_request

log = logging.getLogger(__name__)

UNAVAILABLE = {Status.UNAVAILABLE}
TIMEOUT = {Status.DEADLINE_EXCEEDED}
REJECTED = {Status.INVALID_ARGUMENT}


def _from_status(error: GRPCError, timeout: float) -> AnalyticsError:
    reason = f"{error.status.name}: {error.message or 'no message'}"
    if error.status in UNAVAILABLE:
        return AnalyticsUnavailable(reason)
    if error.status in TIMEOUT:
        return AnalyticsTimeout(timeout)
    if error.status in REJECTED:
        # Analytics' validation message tells the client what to fix.
        return AnalyticsRejected(error.message or error.status.name)
    return AnalyticsBadResponse(error.status.name, reason)


def channel_to(host: str, port: int) -> Callable[[], Channel]:
    # A Channel connects lazily on the first call and reconnects after the peer restarts.
    return lambda: Channel(host, port)


class GrpcMarketDataSink:
    """Open it inside the event loop: grpclib binds a Channel to the running loop."""

    def __init__(self, new_channel: Callable[[], Channel], *, timeout: float) -> None:
        self._new_channel = new_channel
        self._timeout = timeout
        self._channel: Channel | None = None

    def open(self) -> None:
        self._channel = self._new_channel()

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None

    @asynccontextmanager
    async def connected(self) -> AsyncIterator[None]:
        """Open for the lifetime of the app (its lifespan), closed on the way out."""
        self.open()
        try:
            yield
        finally:
            self.close()

    async def send(self, tick: MarketDataTick) -> None:
        if self._channel is None:
            raise AnalyticsUnavailable("the gRPC channel is not open")
        try:
            response = await self._call(MarketDataServiceStub(self._channel), tick)
        except AnalyticsError as error:
            log.warning("tick %s not forwarded to analytics: %s", tick.id, error.reason)
            raise
        if not response.success:
            raise AnalyticsRejected("it answered success=false")

    async def _call(
        self, stub: MarketDataServiceStub, tick: MarketDataTick
    ) -> SendMarketDataResponse:
        try:
            # The deadline covers connecting too, and travels to analytics as grpc-timeout.
            return await stub.send_market_data(tick_to_request(tick), timeout=self._timeout)
        except TimeoutError as error:  # before OSError: TimeoutError is one of its subclasses
            raise AnalyticsTimeout(self._timeout) from error
        except GRPCError as error:
            raise _from_status(error, self._timeout) from error
        except (OSError, StreamTerminatedError, ProtocolError) as error:
            raise AnalyticsUnavailable(f"{type(error).__name__}: {error}") from error
