"""gRPC servicers of market data ingestion: parse -> use case -> response message.

Bad input is the client's error (INVALID_ARGUMENT), never INTERNAL; its status message quotes
at most a short prefix of any field (grpclib HPACK-encodes it in quadratic time). Messages
over the size limit and undecodable bytes are refused before they get here (grpc_server)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial

from grpclib import GRPCError, Status

from generated.grpc import market
from generated.grpc.capsure.analytics import v1
from services.analytics.domain.errors import BatchRefused, InvalidTick
from services.analytics.domain.model import ReceivedTick
from services.analytics.entrypoints.batch_writer import BatchWriter, Stored
from services.analytics.entrypoints.drain import Drain
from services.analytics.entrypoints.tick_batch_codec import MAX_TICKS_PER_STREAM
from services.analytics.mappers import (
    TickMessage,
    tick_from_message,
    ticks_from_stream,
    ticks_from_wire,
)
from services.analytics.service_layer import use_cases
from services.analytics.service_layer.use_cases import AnalyticsDeps
from services.common.market_data import TickFromTheFuture
from services.common.tick_batch_wire import WireTick


async def _record(deps: AnalyticsDeps, message: TickMessage) -> None:
    try:
        # A duplicate by source_id is acknowledged too: it was kept the first time.
        await use_cases.record_tick(deps, tick_from_message(message))
    except (InvalidTick, TickFromTheFuture) as error:
        raise GRPCError(Status.INVALID_ARGUMENT, str(error)) from error


# Ticks of one stream that may wait for the write in progress (then the stream waits).
MAX_WAITING_TICKS = 10_000


class _Refusal(Exception):
    def __init__(self, status: Status, why: str) -> None:
        self.status = status
        self.why = why


async def _ending(writer: BatchWriter, status: Status, why: str) -> GRPCError:
    """The error that ends a stream, once every batch before the refused one is stored: it
    says what was, so that the client knows where to resend from."""
    stored = await writer.close()
    return GRPCError(
        status,
        f"batch {stored.batches}: {why}; this batch and any after it were not stored, the "
        f"{stored.batches} before it were ({stored.ticks} ticks, {stored.new} new)",
    )


class MarketDataService(v1.MarketDataServiceBase):
    """capsure.analytics.v1.MarketDataService."""

    def __init__(
        self, deps: AnalyticsDeps, drain: Drain, max_ticks_per_stream: int = MAX_TICKS_PER_STREAM
    ) -> None:
        self._deps = deps
        self._drain = drain
        self._max_ticks_per_stream = max_ticks_per_stream

    async def send_market_data(
        self, send_market_data_request: v1.SendMarketDataRequest
    ) -> v1.SendMarketDataResponse:
        async with self._drain.track():
            await _record(self._deps, send_market_data_request)
        return v1.SendMarketDataResponse(success=True)

    async def stream_market_data(
        self, stream_market_data_request_iterator: AsyncIterator[v1.StreamMarketDataRequest]
    ) -> v1.StreamMarketDataResponse:
        async with self._drain.track():
            summary = await use_cases.record_tick_stream(
                self._deps, ticks_from_stream(stream_market_data_request_iterator)
            )
        return v1.StreamMarketDataResponse(
            success=summary.success, accepted=summary.accepted, rejected=summary.rejected
        )

    async def stream_tick_batches(  # type: ignore[override]
        # The server's codec (tick_batch_codec) hands over each batch as decoded tuples.
        self,
        stream_tick_batches_request_iterator: AsyncIterator[list[WireTick]],
    ) -> v1.StreamTickBatchesResponse:
        async with self._drain.track():
            writer = BatchWriter(
                partial(use_cases.store_tick_batch, self._deps), max_waiting=MAX_WAITING_TICKS
            )
            try:
                stored = await self._read(stream_tick_batches_request_iterator, writer)
            finally:
                writer.abort()  # nothing once closed; a cancelled stream stops its writer
        return v1.StreamTickBatchesResponse(
            batches=stored.batches,
            ticks=stored.ticks,
            stored=stored.new,
            duplicates=stored.ticks - stored.new,
        )

    async def _read(self, batches: AsyncIterator[list[WireTick]], writer: BatchWriter) -> Stored:
        taken = 0  # ticks of the stream so far (stored, being written or waiting)
        while True:
            try:
                batch = await anext(batches)
                received = self._received(taken, batch)
            except StopAsyncIteration:
                return await writer.close()
            except GRPCError as error:  # refused by the codec or the size bound
                raise await _ending(writer, error.status, error.message or "refused") from error
            except _Refusal as refusal:
                raise await _ending(writer, refusal.status, refusal.why) from refusal
            taken += len(received)
            await writer.add(received)

    def _received(self, taken: int, batch: list[WireTick]) -> list[ReceivedTick]:
        if not batch:
            raise _Refusal(Status.INVALID_ARGUMENT, "a batch holds at least one tick")
        if taken + len(batch) > self._max_ticks_per_stream:
            raise _Refusal(
                Status.RESOURCE_EXHAUSTED,
                f"a stream carries at most {self._max_ticks_per_stream} ticks: open a new stream",
            )
        try:
            return use_cases.receive_tick_batch(self._deps, ticks_from_wire(batch))
        except BatchRefused as error:
            raise _Refusal(Status.INVALID_ARGUMENT, str(error)) from error


class LegacyMarketDataService(market.MarketDataServiceBase):
    """The seed's market.MarketDataService: same use case, the seed's wire contract."""

    def __init__(self, deps: AnalyticsDeps, drain: Drain) -> None:
        self._deps = deps
        self._drain = drain

    async def send_market_data(
        self, market_data_request: market.MarketDataRequest
    ) -> market.MarketDataResponse:
        async with self._drain.track():
            await _record(self._deps, market_data_request)
        return market.MarketDataResponse(success=True)
