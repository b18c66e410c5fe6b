"""Analytics' gRPC servicers on fakes, called directly (no sockets): bad input is
INVALID_ARGUMENT, never INTERNAL; the seed's service shares the use case; shutdown drains.

The grpc.health service is checked against a running process instead (see the report):
loading grpclib's health_pb2 here would collide with grpcio's in a shared test worker."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Iterable

import pytest
from grpclib import GRPCError, Status

from generated.grpc import market
from generated.grpc.capsure.analytics import v1
from services.analytics.bootstrap import build_deps
from services.analytics.domain.errors import InvalidTick
from services.analytics.entrypoints.drain import Drain
from services.analytics.entrypoints.grpc import LegacyMarketDataService, MarketDataService
from services.analytics.mappers import tick_from_message, ticks_from_stream
from tests.support.clock import FakeClock
from tests.unit.analytics_fakes import InMemoryTickRepository

pytestmark = pytest.mark.unit


@pytest.fixture
def repo() -> InMemoryTickRepository:
    return InMemoryTickRepository()


@pytest.fixture
def drain() -> Drain:
    return Drain()


@pytest.fixture
def service(repo, drain) -> MarketDataService:
    return MarketDataService(build_deps(repo, clock=FakeClock()), drain)


@pytest.fixture
def legacy(repo, drain) -> LegacyMarketDataService:
    return LegacyMarketDataService(build_deps(repo, clock=FakeClock()), drain)


async def stream_of(messages: Iterable[v1.StreamMarketDataRequest]) -> AsyncIterator:
    for message in messages:
        yield message


def send(symbol="BTC", price=1.5, timestamp=1_700_000_000_000, source_id="", quantity=0.0):
    return v1.SendMarketDataRequest(
        asset_symbol=symbol,
        price=price,
        timestamp=timestamp,
        source_id=source_id,
        quantity=quantity,
    )


async def test_a_valid_tick_is_kept_and_acknowledged(service, repo):
    response = await service.send_market_data(send(source_id="t-1"))
    assert response.success is True
    [kept] = repo.ticks
    assert (kept.tick.asset_symbol, kept.tick.price, kept.tick.source_id) == ("BTC", 1.5, "t-1")


async def test_a_trade_keeps_its_quantity_and_a_tick_without_one_is_a_quote(service, repo):
    await service.send_market_data(send(quantity=2.5))
    await service.send_market_data(send())
    assert [(t.tick.quantity, t.tick.is_trade) for t in repo.ticks] == [(2.5, True), (0.0, False)]


def test_bytes_without_a_quantity_decode_as_a_quote():
    """A client built before field 5 (or the seed's) sends no quantity: 0 on our side."""
    seed = market.MarketDataRequest(asset_symbol="ETH", price=1.5, timestamp=9)
    decoded = v1.SendMarketDataRequest().parse(bytes(seed))
    assert (decoded.asset_symbol, decoded.price, decoded.quantity) == ("ETH", 1.5, 0.0)
    assert tick_from_message(decoded).quantity == 0.0
    trade = v1.StreamMarketDataRequest(asset_symbol="ETH", price=1.5, timestamp=9, quantity=3.0)
    assert v1.StreamMarketDataRequest().parse(bytes(trade)).quantity == 3.0


async def test_an_empty_source_id_means_none(service, repo):
    await service.send_market_data(send(source_id=""))
    await service.send_market_data(send(source_id=""))
    assert [t.tick.source_id for t in repo.ticks] == [None, None]


async def test_a_duplicate_is_acknowledged_and_kept_once(service, repo):
    for _ in range(2):
        assert (await service.send_market_data(send(source_id="t-1"))).success is True
    assert len(repo.ticks) == 1


@pytest.mark.parametrize(
    ("request_", "words"),
    [
        (send(symbol="btc"), "asset_symbol 'btc'"),
        (send(price=math.nan), "price nan"),
        (send(price=math.inf), "price inf"),
        (send(price=0.0), "price 0.0"),
        (send(price=2e12), "price 2000000000000.0"),
        (send(timestamp=-1), "timestamp -1"),
        (send(timestamp=4_102_444_800_001), "timestamp 4102444800001"),
        (send(source_id="x" * 129), "source_id"),
        (send(quantity=-1.0), "quantity -1.0"),
        (send(quantity=math.nan), "quantity nan"),
        (send(quantity=math.inf), "quantity inf"),
    ],
    ids=[
        "symbol",
        "nan",
        "inf",
        "zero",
        "too high",
        "negative ts",
        "ts after 2100",
        "source_id",
        "negative quantity",
        "nan quantity",
        "inf quantity",
    ],
)
async def test_invalid_ticks_are_invalid_argument_with_a_clear_message(
    service, repo, request_, words
):
    with pytest.raises(GRPCError) as refused:
        await service.send_market_data(request_)
    assert refused.value.status is Status.INVALID_ARGUMENT
    assert words in refused.value.message
    assert repo.ticks == []


async def test_a_huge_symbol_is_quoted_as_a_short_prefix(service, legacy):
    """The status message goes into an HPACK-encoded trailer: grpclib's encoder is quadratic
    in its length, so a quoted megabyte froze the instance for minutes."""
    for servicer, request_ in [
        (service, send(symbol="x" * 1_000_000)),
        (legacy, market.MarketDataRequest(asset_symbol="x" * 1_000_000, price=1, timestamp=1)),
    ]:
        with pytest.raises(GRPCError) as refused:
            await servicer.send_market_data(request_)
        assert refused.value.status is Status.INVALID_ARGUMENT
        assert "(1000000 characters)" in refused.value.message
        assert len(refused.value.message) < 200


async def test_a_tick_from_the_future_is_invalid_argument_and_not_kept(service, legacy, repo):
    in_2100 = 4_102_444_800_000
    for servicer, request_ in [
        (service, send(timestamp=in_2100)),
        (legacy, market.MarketDataRequest(asset_symbol="BTC", price=1, timestamp=in_2100)),
    ]:
        with pytest.raises(GRPCError) as refused:
            await servicer.send_market_data(request_)
        assert refused.value.status is Status.INVALID_ARGUMENT
        assert "ahead of this server's clock" in refused.value.message
    assert repo.ticks == []


async def test_the_seed_service_records_through_the_same_use_case(legacy, repo):
    request = market.MarketDataRequest(asset_symbol="ETH-USD", price=2.0, timestamp=5)
    assert (await legacy.send_market_data(request)).success is True
    assert repo.ticks[0].tick.asset_symbol == "ETH-USD"
    assert repo.ticks[0].tick.source_id is None  # the seed's message has no source_id
    assert repo.ticks[0].tick.quantity == 0.0  # nor a quantity: a quote
    with pytest.raises(GRPCError) as refused:
        await legacy.send_market_data(market.MarketDataRequest(asset_symbol="eth", price=1))
    assert refused.value.status is Status.INVALID_ARGUMENT


async def test_a_stream_counts_and_skips_invalid_ticks(service, repo):
    messages = [
        v1.StreamMarketDataRequest(asset_symbol="BTC", price=1.0, timestamp=1, source_id="a"),
        v1.StreamMarketDataRequest(asset_symbol="BTC", price=-1.0, timestamp=2),
        v1.StreamMarketDataRequest(asset_symbol="BTC", price=3.0, timestamp=3, source_id="a"),
        v1.StreamMarketDataRequest(asset_symbol="BTC", price=4.0, timestamp=4),
    ]
    response = await service.stream_market_data(stream_of(messages))
    assert (response.success, response.accepted, response.rejected) == (False, 3, 1)
    assert sorted(t.tick.price for t in repo.ticks) == [1.0, 4.0]  # "a" kept once


async def test_a_stream_keeps_quantities_and_refuses_a_negative_one(service, repo):
    messages = [
        v1.StreamMarketDataRequest(asset_symbol="BTC", price=1.0, timestamp=1, quantity=0.5),
        v1.StreamMarketDataRequest(asset_symbol="BTC", price=2.0, timestamp=2, quantity=-0.5),
        v1.StreamMarketDataRequest(asset_symbol="BTC", price=3.0, timestamp=3),
    ]
    response = await service.stream_market_data(stream_of(messages))
    assert (response.success, response.accepted, response.rejected) == (False, 2, 1)
    assert [(t.tick.price, t.tick.quantity) for t in repo.ticks] == [(1.0, 0.5), (3.0, 0.0)]


async def test_a_clean_stream_succeeds(service):
    messages = [v1.StreamMarketDataRequest(asset_symbol="BTC", price=1.0, timestamp=1)] * 3
    response = await service.stream_market_data(stream_of(messages))
    assert (response.success, response.accepted, response.rejected) == (True, 3, 0)


async def test_the_stream_mapper_turns_a_bad_message_into_its_error():
    messages = [
        v1.StreamMarketDataRequest(asset_symbol="BTC", price=1.0, timestamp=1),
        v1.StreamMarketDataRequest(asset_symbol="?", price=1.0, timestamp=1),
    ]
    parsed = [item async for item in ticks_from_stream(stream_of(messages))]
    assert parsed[0] == tick_from_message(messages[0])
    assert isinstance(parsed[1], InvalidTick)


async def test_draining_refuses_new_calls_as_unavailable(service, drain, repo):
    assert await drain.wait_idle(grace_seconds=0) == 0
    with pytest.raises(GRPCError) as refused:
        await service.send_market_data(send())
    assert refused.value.status is Status.UNAVAILABLE
    assert repo.ticks == []


async def test_draining_waits_for_running_calls():
    drain, release = Drain(), asyncio.Event()

    async def running_call() -> None:
        async with drain.track():
            await release.wait()

    call = asyncio.create_task(running_call())
    await asyncio.sleep(0)  # let the call start
    waiting = asyncio.create_task(drain.wait_idle(grace_seconds=30))
    await asyncio.sleep(0)
    assert not waiting.done()
    release.set()
    assert await waiting == 0
    await call


async def test_draining_gives_up_after_the_grace_and_says_how_many_are_left():
    drain, never = Drain(), asyncio.Event()

    async def stuck_call() -> None:
        async with drain.track():
            await never.wait()

    call = asyncio.create_task(stuck_call())
    await asyncio.sleep(0)
    assert await drain.wait_idle(grace_seconds=0) == 1
    call.cancel()
