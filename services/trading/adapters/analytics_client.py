"""Delivers outbox batches of ticks to analytics: one client-streaming StreamTickBatches call
per outbox batch, its ticks in TickBatch messages of at most MAX_TICKS_PER_BATCH (encoded by
services/common/tick_batch_wire: betterproto's Tick messages cost ~30 µs a tick to build).

The stream's HTTP/2 flow control is the backpressure; the deadline bounds the whole batch.
Analytics stores each TickBatch whole or not at all: the outbox batch fails as a whole
(DeliveryFailed: the outbox retries it) unless analytics answered for every tick. When it
refuses a batch as invalid (a tick it would not take), the batch's ticks are halved until the
refused ones are found, and they are reported back by the id of the message carrying them (a
bundle carries many); all the others are stored, a refused tick's bundle-mates too (analytics
keeps a tick once by its source_id, so sending them again is safe)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from grpclib import GRPCError, Status
from grpclib.client import Channel
from grpclib.const import Cardinality
from grpclib.exceptions import ProtocolError, StreamTerminatedError

from generated.grpc.capsure.analytics.v1 import StreamTickBatchesResponse
from services.common.addresses import Address, grpc_channel
from services.common.grpc_messages import MessageLimits, client_codec
from services.common.market_data import MAX_TICK_MESSAGE_BYTES
from services.common.outbox import DeliveryFailed, OutboxMessage
from services.common.quoting import quoted
from services.common.tick_batch_wire import (
    MAX_BATCH_MESSAGE_BYTES,
    MAX_TICKS_PER_BATCH,
    WireTick,
    encode_tick_batch,
)
from services.common.tracing import injecting_trace_context
from services.trading.adapters.consumer_messages import message_to_wire_tick, ticks_of

CONSUMER = "analytics"
INVALID = "analytics refused the tick as invalid"
STREAM_TICK_BATCHES = "/capsure.analytics.v1.MarketDataService/StreamTickBatches"

# What analytics takes in one TickBatch is what trading sends at most; its answers (a
# stream's counts) are a few bytes, far below one tick's bound.
MESSAGE_LIMITS = MessageLimits(
    max_receive_bytes=MAX_TICK_MESSAGE_BYTES, max_send_bytes=MAX_BATCH_MESSAGE_BYTES
)


def channel_to(address: Address) -> Callable[[], Channel]:
    # A Channel connects lazily on the first call and reconnects after the peer restarts.
    # Each call carries the caller's trace context (when tracing is on).
    return lambda: injecting_trace_context(
        grpc_channel(address, codec=client_codec(MESSAGE_LIMITS))
    )


class EncodedTickBatch:
    """A StreamTickBatchesRequest as its bytes: what grpclib's protobuf codec sends of it."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def SerializeToString(self) -> bytes:  # protobuf messages' name for it: grpclib calls it
        return self._data


# A tick on its way: (the id of the outbox message carrying it, the tick).
Carried = tuple[int, WireTick]


def encoded_batches(ticks: Sequence[WireTick]) -> list[EncodedTickBatch]:
    return [
        EncodedTickBatch(encode_tick_batch(ticks[start : start + MAX_TICKS_PER_BATCH]))
        for start in range(0, len(ticks), MAX_TICKS_PER_BATCH)
    ]


class _Refused(Exception):
    """Analytics refused a TickBatch of the stream as invalid (INVALID_ARGUMENT)."""


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
        return await self._deliver(
            [(m.id, message_to_wire_tick(tick)) for m in batch for tick in ticks_of(m.payload)]
        )

    async def _deliver(self, ticks: Sequence[Carried]) -> dict[int, str]:
        try:
            response = await self._stream([tick for _, tick in ticks])
        except _Refused:
            return await self._refused_among(ticks)
        if response.ticks != len(ticks):
            raise DeliveryFailed(CONSUMER, f"answered for {response.ticks} of {len(ticks)} ticks")
        return {}

    async def _refused_among(self, ticks: Sequence[Carried]) -> dict[int, str]:
        """The ticks analytics refuses, found by halving: a refused TickBatch stored nothing."""
        if len(ticks) == 1:
            return {ticks[0][0]: INVALID}
        half = len(ticks) // 2
        refused = await self._deliver(ticks[:half])
        refused.update(await self._deliver(ticks[half:]))
        return refused

    async def _stream(self, ticks: Sequence[WireTick]) -> StreamTickBatchesResponse:
        if self._channel is None:
            raise DeliveryFailed(CONSUMER, "the gRPC channel is not open")
        try:
            # The deadline covers connecting too, and travels to analytics as grpc-timeout.
            async with self._channel.request(
                STREAM_TICK_BATCHES,
                Cardinality.STREAM_UNARY,
                EncodedTickBatch,
                StreamTickBatchesResponse,
                timeout=self._timeout,
            ) as stream:
                for message in encoded_batches(ticks):
                    await stream.send_message(message)
                await stream.end()
                response = await stream.recv_message()
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
        if response is None:
            raise DeliveryFailed(CONSUMER, "analytics ended the stream without an answer")
        return response
