"""gRPC servicers of market data ingestion: parse -> use case -> response message.

Bad input is the client's error (INVALID_ARGUMENT), never INTERNAL; its status message quotes
at most a short prefix of any field (grpclib HPACK-encodes it in quadratic time). Messages
over the size limit and undecodable bytes are refused before they get here (grpc_server)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from grpclib import GRPCError, Status

from generated.grpc import market
from generated.grpc.capsure.analytics import v1
from services.analytics.domain.errors import BatchRefused, InvalidTick
from services.analytics.domain.model import BatchOutcome
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


@dataclass
class _BatchTally:
    """What a stream of batches has stored so far: said in every error that ends it, so that
    the client knows where to resend from."""

    batches: int = 0
    ticks: int = 0
    stored: int = 0

    def add(self, size: int, outcome: BatchOutcome) -> None:
        self.batches += 1
        self.ticks += size
        self.stored += outcome.stored

    def ending(self, status: Status, why: str) -> GRPCError:
        return GRPCError(
            status,
            f"batch {self.batches}: {why}; this batch and any after it were not stored, the "
            f"{self.batches} before it were ({self.ticks} ticks, {self.stored} new)",
        )

    def response(self) -> v1.StreamTickBatchesResponse:
        return v1.StreamTickBatchesResponse(
            batches=self.batches,
            ticks=self.ticks,
            stored=self.stored,
            duplicates=self.ticks - self.stored,
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
        tally = _BatchTally()
        async with self._drain.track():
            batches = aiter(stream_tick_batches_request_iterator)
            while True:
                try:
                    batch = await anext(batches)
                except StopAsyncIteration:
                    break
                except GRPCError as error:  # refused by the codec or the size bound
                    raise tally.ending(error.status, error.message or "refused") from error
                await self._store(tally, batch)
        return tally.response()

    async def _store(self, tally: _BatchTally, batch: list[WireTick]) -> None:
        if not batch:
            raise tally.ending(Status.INVALID_ARGUMENT, "a batch holds at least one tick")
        if tally.ticks + len(batch) > self._max_ticks_per_stream:
            raise tally.ending(
                Status.RESOURCE_EXHAUSTED,
                f"a stream carries at most {self._max_ticks_per_stream} ticks: open a new stream",
            )
        try:
            outcome = await use_cases.record_tick_batch(self._deps, ticks_from_wire(batch))
        except BatchRefused as error:
            raise tally.ending(Status.INVALID_ARGUMENT, str(error)) from error
        tally.add(len(batch), outcome)


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
