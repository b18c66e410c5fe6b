"""gRPC servicers of market data ingestion: parse -> use case -> response message.

Bad input is the client's error (INVALID_ARGUMENT), never INTERNAL; its status message quotes
at most a short prefix of any field (grpclib HPACK-encodes it in quadratic time). Messages
over the size limit and undecodable bytes are refused before they get here (grpc_server)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from grpclib import GRPCError, Status

from generated.grpc import market
from generated.grpc.capsure.analytics import v1
from services.analytics.domain.errors import InvalidTick
from services.analytics.entrypoints.drain import Drain
from services.analytics.mappers import TickMessage, tick_from_message, ticks_from_stream
from services.analytics.service_layer import use_cases
from services.analytics.service_layer.use_cases import AnalyticsDeps
from services.common.market_data import TickFromTheFuture


async def _record(deps: AnalyticsDeps, message: TickMessage) -> None:
    try:
        # A duplicate by source_id is acknowledged too: it was kept the first time.
        await use_cases.record_tick(deps, tick_from_message(message))
    except (InvalidTick, TickFromTheFuture) as error:
        raise GRPCError(Status.INVALID_ARGUMENT, str(error)) from error


class MarketDataService(v1.MarketDataServiceBase):
    """capsure.analytics.v1.MarketDataService."""

    def __init__(self, deps: AnalyticsDeps, drain: Drain) -> None:
        self._deps = deps
        self._drain = drain

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
