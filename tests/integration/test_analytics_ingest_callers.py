"""Analytics' market data ingest admits trading and the edge only: the caller its sidecar
verified (mTLS) and reported in x-forwarded-client-cert, on a real grpclib server."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from grpclib import GRPCError, Status
from grpclib.client import Channel

from generated.grpc import market
from generated.grpc.capsure.analytics import v1
from mesh.envoy.access_policies import callers
from mesh.ports import free_port
from mesh.topology import HOST, load_topology
from services.analytics.bootstrap import INGEST_CALLERS, build_deps
from services.analytics.entrypoints.grpc_server import start_grpc_endpoint
from services.common.workload_identity import XFCC_HEADER, service_of
from tests.support.callers import called_by
from tests.unit.analytics_fakes import InMemoryTickRepository

pytestmark = pytest.mark.integration


async def always_ready() -> bool:
    return True


@pytest.fixture
async def channel() -> AsyncIterator[Channel]:
    port = free_port()
    endpoint = await start_grpc_endpoint(
        build_deps(InMemoryTickRepository()),
        always_ready,
        host=HOST,
        port=port,
        callers=INGEST_CALLERS,
    )
    channel = Channel(HOST, port)
    try:
        yield channel
    finally:
        channel.close()
        await endpoint.stop(1.0)


def tick() -> v1.SendMarketDataRequest:
    return v1.SendMarketDataRequest(
        asset_symbol="ETH-USD", price=3120.5, timestamp=int(time.time() * 1000) - 1000
    )


@pytest.mark.parametrize("caller", ["trading", "edge"])
async def test_trading_and_the_edge_publish(channel: Channel, caller: str) -> None:
    metadata = {XFCC_HEADER: called_by(caller)[XFCC_HEADER]}
    answer = await v1.MarketDataServiceStub(channel, metadata=metadata).send_market_data(tick())
    assert answer.success


@pytest.mark.parametrize("caller", ["nft", "user", "notification", "analytics", None])
async def test_anyone_else_is_denied_on_both_wire_contracts(
    channel: Channel, caller: str | None
) -> None:
    metadata = {XFCC_HEADER: called_by(caller)[XFCC_HEADER]} if caller else {}
    with pytest.raises(GRPCError) as denied:
        await v1.MarketDataServiceStub(channel, metadata=metadata).send_market_data(tick())
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
