"""Delivers outbox batches of ticks to analytics: one client-streaming StreamMarketData call
per batch (analytics' generated betterproto stub on a grpclib Channel).

The stream's HTTP/2 flow control is the backpressure; the deadline bounds the whole batch.
A batch fails as a whole (DeliveryFailed: the outbox retries it) unless analytics answered
for every tick; ticks it refused as invalid are reported back by message id."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from grpclib import GRPCError, Status
from grpclib.client import Channel
from grpclib.exceptions import ProtocolError, StreamTerminatedError

from generated.grpc.capsure.analytics.v1 import MarketDataServiceStub, StreamMarketDataResponse
from services.common.addresses import Address, grpc_channel
from services.common.grpc_messages import MessageLimits, client_codec
from services.common.market_data import MAX_TICK_MESSAGE_BYTES
from services.common.outbox import DeliveryFailed, OutboxMessage
from services.common.quoting import quoted
from services.trading.mappers import message_to_stream_request

CONSUMER = "analytics"
INVALID = "analytics refused the tick as invalid"


# What analytics takes (one tick per message) is what trading sends; its answers are a few
# bytes. A tick trading accepted is far below the bound (market_data says why).
MESSAGE_LIMITS = MessageLimits(
    max_receive_bytes=MAX_TICK_MESSAGE_BYTES, max_send_bytes=MAX_TICK_MESSAGE_BYTES
)


def channel_to(address: Address) -> Callable[[], Channel]:
    # A Channel connects lazily on the first call and reconnects after the peer restarts.
    return lambda: grpc_channel(address, codec=client_codec(MESSAGE_LIMITS))


class _Refused(Exception):
    """Analytics refused the stream's ticks as invalid (INVALID_ARGUMENT)."""


class AnalyticsDelivery:
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

    async def __call__(self, batch: Sequence[OutboxMessage]) -> dict[int, str]:
        try:
            response = await self._stream(batch)
        except _Refused:
            rejected = len(batch)
        else:
            taken = response.accepted + response.rejected
            if taken != len(batch):
                raise DeliveryFailed(CONSUMER, f"answered for {taken} of {len(batch)} ticks")
            rejected = response.rejected
        if not rejected:
            return {}
        if len(batch) == 1:
            return {batch[0].id: INVALID}
        # Analytics counts refusals without naming them: send each tick alone to find them.
        # The accepted ones are counted once there (source_id), so sending them again is safe.
        refused: dict[int, str] = {}
        for message in batch:
            refused.update(await self([message]))
        return refused

    async def _stream(self, batch: Sequence[OutboxMessage]) -> StreamMarketDataResponse:
        if self._channel is None:
            raise DeliveryFailed(CONSUMER, "the gRPC channel is not open")
        stub = MarketDataServiceStub(self._channel)
        requests = [message_to_stream_request(m.payload) for m in batch]
        try:
            # The deadline covers connecting too, and travels to analytics as grpc-timeout.
            return await stub.stream_market_data(requests, timeout=self._timeout)
        except TimeoutError as error:  # before OSError: TimeoutError is one of its subclasses
            raise DeliveryFailed(CONSUMER, f"no answer within {self._timeout:g}s") from error
        except GRPCError as error:
            if error.status is Status.INVALID_ARGUMENT:
                raise _Refused() from error
            # The peer's words go to the log and the outbox row: a bounded prefix only.
            reason = f"{error.status.name}: {quoted(error.message or 'no message')}"
            raise DeliveryFailed(CONSUMER, reason) from error
        except (OSError, StreamTerminatedError, ProtocolError) as error:
            raise DeliveryFailed(CONSUMER, f"{type(error).__name__}: {error}") from error
