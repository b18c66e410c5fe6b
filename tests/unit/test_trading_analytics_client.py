"""The gRPC sink towards analytics, against a fake analytics on grpclib's in-memory channel
(no sockets): every way a call fails becomes the right domain error. And ANALYTICS_ADDR."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from uuid import uuid4

import pytest
from grpclib import GRPCError, Status
from grpclib.testing import ChannelFor
from pydantic import ValidationError

from generated.grpc.capsure.analytics import v1
from services.common.addresses import split_address
from services.trading.adapters.analytics_client import GrpcMarketDataSink
from services.trading.config import TradingSettings
from services.trading.domain.errors import (
    AnalyticsBadResponse,
    AnalyticsRejected,
    AnalyticsTimeout,
    AnalyticsUnavailable,
)
from services.trading.domain.model import MarketDataTick
from tests.support.clock import FakeClock

pytestmark = pytest.mark.unit

Reply = Callable[[], Awaitable[v1.SendMarketDataResponse]]


async def accept() -> v1.SendMarketDataResponse:
    return v1.SendMarketDataResponse(success=True)


class FakeAnalyticsServer(v1.MarketDataServiceBase):
    def __init__(self) -> None:
        self.received: list[v1.SendMarketDataRequest] = []
        self.reply: Reply = accept

    async def send_market_data(
        self, send_market_data_request: v1.SendMarketDataRequest
    ) -> v1.SendMarketDataResponse:
        self.received.append(send_market_data_request)
        return await self.reply()


def a_tick() -> MarketDataTick:
    return MarketDataTick(uuid4(), "ETH-USD", 2000.5, 1_700_000_000_000, FakeClock().now)


def failing_with(status: Status, message: str) -> Reply:
    async def reply() -> v1.SendMarketDataResponse:
        raise GRPCError(status, message)

    return reply


@pytest.fixture
def server() -> FakeAnalyticsServer:
    return FakeAnalyticsServer()


@pytest.fixture
async def sink(server) -> AsyncIterator[GrpcMarketDataSink]:
    async with ChannelFor([server]) as channel:
        sink = GrpcMarketDataSink(lambda: channel, timeout=0.2)
        sink.open()
        yield sink  # ChannelFor owns the channel and closes it itself


async def test_the_tick_is_sent_with_its_id_as_source_id(sink, server):
    tick = a_tick()
    await sink.send(tick)
    [request] = server.received
    assert request == v1.SendMarketDataRequest(
        asset_symbol="ETH-USD", price=2000.5, timestamp=1_700_000_000_000, source_id=str(tick.id)
    )


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (Status.UNAVAILABLE, AnalyticsUnavailable),
        (Status.DEADLINE_EXCEEDED, AnalyticsTimeout),
        (Status.INVALID_ARGUMENT, AnalyticsRejected),
        (Status.INTERNAL, AnalyticsBadResponse),
        (Status.UNKNOWN, AnalyticsBadResponse),
        (Status.UNIMPLEMENTED, AnalyticsBadResponse),
    ],
)
async def test_error_statuses_become_domain_errors(sink, server, status, error):
    server.reply = failing_with(status, "price must be > 0")
    with pytest.raises(error):
        await sink.send(a_tick())


async def test_a_rejection_carries_analytics_reason(sink, server):
    server.reply = failing_with(Status.INVALID_ARGUMENT, "price nan must be finite")
    with pytest.raises(AnalyticsRejected, match="price nan must be finite"):
        await sink.send(a_tick())


async def test_success_false_is_a_rejection(sink, server):
    async def refuse() -> v1.SendMarketDataResponse:
        return v1.SendMarketDataResponse(success=False)

    server.reply = refuse
    with pytest.raises(AnalyticsRejected):
        await sink.send(a_tick())


async def test_an_answer_later_than_the_timeout_is_a_timeout(sink, server):
    never = asyncio.Event()

    async def hang() -> v1.SendMarketDataResponse:
        await never.wait()
        raise AssertionError("unreachable")

    server.reply = hang
    with pytest.raises(AnalyticsTimeout, match=r"0\.2s"):
        await sink.send(a_tick())


class StandInChannel:
    closed = False

    def close(self) -> None:
        self.closed = True


async def test_a_closed_sink_closes_its_channel_and_is_unavailable():
    channel = StandInChannel()
    sink = GrpcMarketDataSink(lambda: channel, timeout=1.0)  # type: ignore[arg-type, return-value]
    with pytest.raises(AnalyticsUnavailable):
        await sink.send(a_tick())  # never opened
    sink.open()
    sink.close()
    assert channel.closed
    with pytest.raises(AnalyticsUnavailable):
        await sink.send(a_tick())


@pytest.mark.parametrize(
    ("address", "host", "port"),
    [
        ("127.0.0.1:50051", "127.0.0.1", 50051),
        ("analytics:1", "analytics", 1),
        ("[::1]:9", "::1", 9),
    ],
)
def test_addresses_are_host_and_port(address, host, port):
    assert split_address(address) == (host, port)


@pytest.mark.parametrize("address", ["127.0.0.1", ":50051", "host:0", "host:99999", "host:x"])
def test_malformed_addresses_are_refused(address):
    with pytest.raises(ValueError, match="host:port"):
        split_address(address)


def test_analytics_addr_is_read_without_the_service_prefix(monkeypatch):
    monkeypatch.setenv("ANALYTICS_ADDR", "10.1.2.3:15001")
    monkeypatch.setenv("TRADING_ANALYTICS_TIMEOUT_SECONDS", "0.5")
    settings = TradingSettings()
    assert settings.analytics_endpoint == ("10.1.2.3", 15001)
    assert settings.analytics_timeout_seconds == 0.5
    monkeypatch.setenv("ANALYTICS_ADDR", "nonsense")
    with pytest.raises(ValidationError):
        TradingSettings()
