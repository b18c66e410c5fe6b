"""Analytics' market data ingest admits trading and the edge only: the caller its sidecar
verified (mTLS) and reported in x-forwarded-client-cert, on a real grpclib server serving its
real servicers. (Without grpclib's health service: its descriptors cannot share a process with
the grpcio health client other test files load. tests/e2e/test_trust_attacks.py calls the
whole analytics through its sidecar.)"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from grpclib import GRPCError, Status
from grpclib.client import Channel
from grpclib.server import Server

from generated.grpc import market
from generated.grpc.capsure.analytics import v1
from mesh.envoy.access_policies import callers
from mesh.ports import free_port
from mesh.topology import HOST, load_topology
from services.analytics.bootstrap import INGEST_CALLERS, build_deps
from services.analytics.entrypoints.drain import Drain
from services.analytics.entrypoints.grpc import LegacyMarketDataService, MarketDataService
from services.analytics.entrypoints.grpc_server import MESSAGE_LIMITS
from services.analytics.entrypoints.tick_batch_codec import TickBatchCodec
from services.common.grpc_callers import admitting_only
from services.common.workload_identity import XFCC_HEADER, service_of
from tests.support.callers import called_by
from tests.unit.analytics_fakes import InMemoryTickRepository

pytestmark = pytest.mark.integration


@pytest.fixture
async def channel() -> AsyncIterator[Channel]:
    deps, drain = build_deps(InMemoryTickRepository()), Drain()
    services = [MarketDataService(deps, drain), LegacyMarketDataService(deps, drain)]
    server = Server(
        [admitting_only(service, INGEST_CALLERS) for service in services],
        codec=TickBatchCodec(MESSAGE_LIMITS),  # batches reach the servicer decoded, as served
    )
    port = free_port()
    await server.start(HOST, port)
    channel = Channel(HOST, port)
    try:
        yield channel
    finally:
        channel.close()
        server.close()
        await server.wait_closed()


def tick() -> v1.SendMarketDataRequest:
    return v1.SendMarketDataRequest(
        asset_symbol="ETH-USD", price=3120.5, timestamp=int(time.time() * 1000) - 1000
    )


def batch() -> v1.StreamTickBatchesRequest:
    one = tick()
    return v1.StreamTickBatchesRequest(
        ticks=[v1.Tick(asset_symbol=one.asset_symbol, price=one.price, timestamp=one.timestamp)]
    )


@pytest.mark.parametrize("caller", ["trading", "edge"])
async def test_trading_and_the_edge_publish(channel: Channel, caller: str) -> None:
    metadata = {XFCC_HEADER: called_by(caller)[XFCC_HEADER]}
    stub = v1.MarketDataServiceStub(channel, metadata=metadata)
    assert (await stub.send_market_data(tick())).success
    assert (await stub.stream_tick_batches([batch()])).stored == 1


@pytest.mark.parametrize("caller", ["nft", "user", "notification", "analytics", None])
async def test_anyone_else_is_denied_on_both_wire_contracts(
    channel: Channel, caller: str | None
) -> None:
    metadata = {XFCC_HEADER: called_by(caller)[XFCC_HEADER]} if caller else {}
    with pytest.raises(GRPCError) as denied:
        await v1.MarketDataServiceStub(channel, metadata=metadata).send_market_data(tick())
    assert denied.value.status == Status.PERMISSION_DENIED
    with pytest.raises(GRPCError) as denied:
        await v1.MarketDataServiceStub(channel, metadata=metadata).stream_tick_batches([batch()])
    assert denied.value.status == Status.PERMISSION_DENIED
    seed = market.MarketDataRequest(asset_symbol="ETH-USD", price=1.0, timestamp=1)
    with pytest.raises(GRPCError) as denied:
        await market.MarketDataServiceStub(channel, metadata=metadata).send_market_data(seed)
    assert denied.value.status == Status.PERMISSION_DENIED


def test_the_app_admits_whom_the_sidecars_rbac_admits() -> None:
    """The rule the app keeps and the one mesh.yaml generates for its sidecar agree."""
    topology = load_topology()
    _, grpc_callers, _ = callers(topology, topology.services["analytics"])
    assert {service_of(identity) for identity in grpc_callers} == set(INGEST_CALLERS)
