"""Outbox batches towards analytics, against a fake analytics on grpclib's in-memory channel
(no sockets): one StreamTickBatches stream per batch; failures and short answers make the
batch retry; ticks refused as invalid are found (by halving) and reported by message id. And
ANALYTICS_ADDR."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from grpclib import GRPCError, Status
from grpclib.testing import ChannelFor
from pydantic import ValidationError

from generated.grpc.capsure.analytics import v1
from services.common.addresses import split_address
from services.common.grpc_messages import client_codec
from services.common.outbox import DeliveryFailed, OutboxMessage
from services.common.tick_batch_wire import MAX_BATCH_MESSAGE_BYTES, MAX_TICKS_PER_BATCH
from services.trading.adapters.analytics_client import MESSAGE_LIMITS, AnalyticsDelivery
from services.trading.config import TradingSettings
from services.trading.domain.ticks import MarketDataTick
from services.trading.mappers import tick_to_message, ticks_to_bundle
from tests.support.clock import FakeClock

pytestmark = pytest.mark.unit


class FakeAnalyticsServer(v1.MarketDataServiceBase):
    """Takes every TickBatch but those holding a price it finds invalid (a batch is stored
    whole or refused whole, as analytics does); counts like analytics does."""

    def __init__(self) -> None:
        self.streams: list[list[v1.Tick]] = []  # the ticks of each stream
        self.batch_sizes: list[list[int]] = []  # the TickBatch sizes of each stream
        self.invalid_prices: set[float] = set()
        self.failure: GRPCError | None = None
        self.answer_short = False
        self.hang = False

    async def stream_tick_batches(
        self, stream_tick_batches_request_iterator: AsyncIterator[v1.StreamTickBatchesRequest]
    ) -> v1.StreamTickBatchesResponse:
        batches = [b.ticks async for b in stream_tick_batches_request_iterator]
        self.streams.append([t for batch in batches for t in batch])
        self.batch_sizes.append([len(batch) for batch in batches])
        if self.hang:
            await asyncio.Event().wait()
        if self.failure is not None:
            raise self.failure
        for number, batch in enumerate(batches):
            if any(t.price in self.invalid_prices for t in batch):
                raise GRPCError(Status.INVALID_ARGUMENT, f"batch {number}: tick ...: price")
        ticks = len(self.streams[-1]) - (1 if self.answer_short else 0)
        return v1.StreamTickBatchesResponse(
            batches=len(batches), ticks=ticks, stored=ticks, duplicates=0
        )


def message(number: int, price: float = 100.0) -> OutboxMessage:
    clock = FakeClock()
    tick = MarketDataTick(uuid4(), "ETH-USD", price, 1_700_000_000_000 + number, clock.now, 1.5)
    return OutboxMessage(number, "analytics.ticks", tick_to_message(tick), clock.now, 0, clock.now)


def bundle(number: int, prices: list[float]) -> OutboxMessage:
    """A POSTed batch's message: its ticks in one payload."""
    clock = FakeClock()
    ticks = [
        MarketDataTick(uuid4(), "ETH-USD", price, 1_700_000_000_000 + n, clock.now, 0.0)
        for n, price in enumerate(prices)
    ]
    return OutboxMessage(
        number, "analytics.ticks", ticks_to_bundle(ticks), clock.now, 0, clock.now, len(ticks)
    )


@pytest.fixture
def server() -> FakeAnalyticsServer:
    return FakeAnalyticsServer()


@pytest.fixture
async def deliver(server) -> AsyncIterator[AnalyticsDelivery]:
    async with ChannelFor([server]) as channel:
        delivery = AnalyticsDelivery(lambda: channel, timeout=0.2)
        delivery.open()
        yield delivery  # ChannelFor owns the channel and closes it itself


async def test_a_batch_is_one_stream_in_order_with_tick_ids_as_source_ids(deliver, server):
    batch = [message(n) for n in range(1, 4)]
    assert await deliver(batch) == {}
    [stream] = server.streams
    assert [t.source_id for t in stream] == [m.payload["id"] for m in batch]
    assert stream[0] == v1.Tick(
        asset_symbol="ETH-USD",
        price=100.0,
        timestamp=1_700_000_000_001,
        source_id=batch[0].payload["id"],
        quantity=1.5,
    )


async def test_a_large_batch_goes_as_tick_batches_of_the_contract_s_size(server):
    batch = [message(n) for n in range(1, MAX_TICKS_PER_BATCH * 2 + 2)]
    async with ChannelFor([server]) as channel:
        # The fake parses with betterproto (~0.1 ms a tick): a deadline for that.
        deliver = AnalyticsDelivery(lambda: channel, timeout=30)
        deliver.open()
        assert await deliver(batch) == {}
    assert server.batch_sizes == [[MAX_TICKS_PER_BATCH, MAX_TICKS_PER_BATCH, 1]]
    assert [t.source_id for t in server.streams[0]] == [m.payload["id"] for m in batch]


async def test_refused_ticks_are_found_by_halving_and_reported(deliver, server):
    server.invalid_prices = {66.0}
    batch = [message(1), message(2, price=66.0), message(3), message(4)]
    assert await deliver(batch) == {2: "analytics refused the tick as invalid"}
    # The batch, its halves, the refused half's halves: the others are stored on the way.
    assert [len(s) for s in server.streams] == [4, 2, 1, 1, 2]


async def test_bundles_and_single_ticks_go_in_one_stream_in_order(deliver, server):
    batch = [bundle(1, [1.0, 2.0, 3.0]), message(2, price=4.0), bundle(3, [5.0, 6.0])]
    assert await deliver(batch) == {}
    [stream] = server.streams
    assert [t.price for t in stream] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    first = batch[0].payload["ticks"]
    assert [t.source_id for t in stream[:3]] == [t["id"] for t in first]


async def test_a_bundle_holding_a_refused_tick_is_reported_and_the_rest_stored(deliver, server):
    server.invalid_prices = {66.0}
    batch = [bundle(1, [1.0, 2.0]), bundle(2, [3.0, 66.0, 4.0]), message(3, price=5.0)]
    assert await deliver(batch) == {2: "analytics refused the tick as invalid"}
    # Halved by ticks, across the bundle: its other ticks are stored with the rest.
    assert [len(s) for s in server.streams] == [6, 3, 3, 1, 2]
    accepted = [server.streams[n] for n in (1, 4)]
    assert sorted(t.price for stream in accepted for t in stream) == [1.0, 2.0, 3.0, 4.0, 5.0]


async def test_invalid_argument_on_a_single_tick_is_a_refusal(deliver, server):
    server.failure = GRPCError(Status.INVALID_ARGUMENT, "price must be > 0")
    assert await deliver([message(7)]) == {7: "analytics refused the tick as invalid"}


@pytest.mark.parametrize(
    "status", [Status.UNAVAILABLE, Status.INTERNAL, Status.UNKNOWN, Status.UNIMPLEMENTED]
)
async def test_other_errors_fail_the_batch(deliver, server, status):
    server.failure = GRPCError(status, "boom")
    with pytest.raises(DeliveryFailed, match=status.name):
        await deliver([message(1), message(2)])


async def test_the_peers_status_message_is_kept_as_a_short_prefix(deliver, server):
    """The reason goes to the log and the outbox row: a peer's words, bounded."""
    server.failure = GRPCError(Status.UNAVAILABLE, "\x1b[2J" + "x" * 5_000)
    with pytest.raises(DeliveryFailed) as failed:
        await deliver([message(1)])
    assert "(5004 characters)" in str(failed.value)
    assert "\x1b" not in str(failed.value)
    assert len(str(failed.value)) < 200


async def test_a_message_over_the_limit_is_not_sent_and_the_batch_retries(server):
    oversized = message(1)
    oversized.payload["assetSymbol"] = "X" * MAX_BATCH_MESSAGE_BYTES  # no tick trading takes
    async with ChannelFor([server], codec=client_codec(MESSAGE_LIMITS)) as channel:
        delivery = AnalyticsDelivery(lambda: channel, timeout=1.0)
        delivery.open()
        with pytest.raises(DeliveryFailed, match="RESOURCE_EXHAUSTED"):
            await delivery([oversized])
        assert await delivery([message(2)]) == {}  # the channel still works
    assert [len(s) for s in server.streams if s] == [1]


async def test_an_answer_for_fewer_ticks_than_sent_fails_the_batch(deliver, server):
    server.answer_short = True
    with pytest.raises(DeliveryFailed, match="1 of 2"):
        await deliver([message(1), message(2)])


async def test_an_answer_later_than_the_deadline_fails_the_batch(deliver, server):
    server.hang = True
    with pytest.raises(DeliveryFailed, match=r"0\.2s"):
        await deliver([message(1)])


class StandInChannel:
    closed = False

    def close(self) -> None:
        self.closed = True


async def test_a_closed_delivery_closes_its_channel_and_fails():
    channel = StandInChannel()
    deliver = AnalyticsDelivery(lambda: channel, timeout=1.0)  # type: ignore[arg-type, return-value]
    with pytest.raises(DeliveryFailed):
        await deliver([message(1)])  # never opened
    deliver.open()
    deliver.close()
    assert channel.closed
    with pytest.raises(DeliveryFailed):
        await deliver([message(1)])


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
    monkeypatch.setenv("NOTIFICATION_ADDR", "10.1.2.3:15002")
    monkeypatch.setenv("TRADING_ANALYTICS_TIMEOUT_SECONDS", "0.5")
    settings = TradingSettings()
    assert settings.analytics_endpoint == ("10.1.2.3", 15001)
    assert settings.notification_addr == "10.1.2.3:15002"
    assert settings.analytics_timeout_seconds == 0.5
    monkeypatch.setenv("ANALYTICS_ADDR", "nonsense")
    with pytest.raises(ValidationError):
        TradingSettings()
