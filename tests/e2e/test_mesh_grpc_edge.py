"""gRPC through the edge with a stock grpcio client: the seed's contract, the versioned one
(unary and client-streaming), errors and health. Nothing of ours on the client side: grpcio and
message classes built by protobuf from a `buf build` image of the contracts. Publishing market
data at the edge needs a Developer's (or an Admin's) token, as over REST; the refusals of
anonymous callers and plain users are in test_trust_attacks.py."""

from __future__ import annotations

import uuid

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from mesh.runner import Mesh
from tests.support.mesh import poll, stat
from tests.support.tokens import grpc_bearer

pytestmark = pytest.mark.e2e

V1 = "capsure.analytics.v1.MarketDataService"
SEED = "market.MarketDataService"


def developer() -> tuple[tuple[str, str], ...]:
    """gRPC metadata of a Developer, who may publish market data (a fresh token: the module
    may run long after collection)."""
    return grpc_bearer(uuid.uuid4(), roles=["Developer"])


def serialize(message) -> bytes:
    return message.SerializeToString()


@pytest.fixture(scope="module")
def channel(platform_mesh: Mesh) -> grpc.Channel:
    # h2c to the edge's one public port, like any client outside the mesh.
    with grpc.insecure_channel(platform_mesh.edge_url.removeprefix("http://")) as channel:
        yield channel


def asset_stats(mesh: Mesh, symbol: str) -> dict:
    response = httpx.get(
        f"{mesh.edge_url}/api/analytics/assets/{symbol}/stats", trust_env=False, timeout=5
    )
    assert response.status_code == 200, response.text
    return response.json()


def grpc_requests(mesh: Mesh) -> tuple[int, int]:
    """(edge → analytics_grpc, analytics sidecar → its gRPC app) request counters."""
    (analytics,) = mesh.instances["analytics"]
    assert mesh.edge is not None
    return (
        stat(mesh.edge, "cluster.analytics_grpc.upstream_rq_total"),
        stat(analytics.sidecar, "cluster.local_app_grpc.upstream_rq_total"),
    )


def test_the_seed_client_sends_market_data_through_the_edge(platform_mesh, channel, proto):
    before = grpc_requests(platform_mesh)
    send = channel.unary_unary(
        f"/{SEED}/SendMarketData",
        request_serializer=serialize,
        response_deserializer=proto["market.MarketDataResponse"].FromString,
    )
    tick = proto["market.MarketDataRequest"](assetSymbol="MESH-SEED", price=42.5, timestamp=1)
    assert send(tick, metadata=developer(), timeout=5).success is True
    assert asset_stats(platform_mesh, "MESH-SEED")["count"] == 1
    edge_delta, app_delta = (
        a - b for a, b in zip(grpc_requests(platform_mesh), before, strict=True)
    )
    assert edge_delta >= 1 and app_delta >= 1, (edge_delta, app_delta)


def test_the_versioned_api_unary_and_client_streaming_through_the_edge(
    platform_mesh, channel, proto
):
    send = channel.unary_unary(
        f"/{V1}/SendMarketData",
        request_serializer=serialize,
        response_deserializer=proto["capsure.analytics.v1.SendMarketDataResponse"].FromString,
    )
    request = proto["capsure.analytics.v1.SendMarketDataRequest"]
    assert send(
        request(asset_symbol="MESH-V1", price=2.5, timestamp=7), metadata=developer(), timeout=5
    ).success

    stream = channel.stream_unary(
        f"/{V1}/StreamMarketData",
        request_serializer=serialize,
        response_deserializer=proto["capsure.analytics.v1.StreamMarketDataResponse"].FromString,
    )
    tick = proto["capsure.analytics.v1.StreamMarketDataRequest"]
    ticks = [tick(asset_symbol="MESH-STRM", price=float(p), timestamp=p) for p in range(1, 201)]
    ticks.append(tick(asset_symbol="bad symbol", price=1.0, timestamp=1))
    reply = stream(iter(ticks), metadata=developer(), timeout=10)
    assert (reply.accepted, reply.rejected, reply.success) == (200, 1, False)
    summary = asset_stats(platform_mesh, "MESH-STRM")
    assert (summary["count"], summary["min"], summary["max"]) == (200, 1.0, 200.0)


def test_tick_batches_through_the_edge_need_a_publisher_and_are_stored_whole(
    platform_mesh, channel, proto
):
    """StreamTickBatches follows StreamMarketData's policy: a Developer's token at the edge,
    the edge's identity at the analytics sidecar (same gRPC service); every tick sent is
    stored once, a batch with a bad tick is refused whole, naming it."""
    stream = channel.stream_unary(
        f"/{V1}/StreamTickBatches",
        request_serializer=serialize,
        response_deserializer=proto["capsure.analytics.v1.StreamTickBatchesResponse"].FromString,
    )
    tick, batch = (
        proto["capsure.analytics.v1.Tick"],
        proto["capsure.analytics.v1.StreamTickBatchesRequest"],
    )

    def batch_of(first: int, size: int, price: float = 1.0):
        return batch(
            ticks=[
                tick(asset_symbol="MESH-BATCH", price=price, timestamp=t, source_id=f"mb-{t}")
                for t in range(first, first + size)
            ]
        )

    for metadata, code in [
        ((), grpc.StatusCode.UNAUTHENTICATED),
        (grpc_bearer(uuid.uuid4(), roles=[]), grpc.StatusCode.PERMISSION_DENIED),
    ]:
        with pytest.raises(grpc.RpcError) as refused:
            stream(iter([batch_of(1, 1)]), metadata=metadata, timeout=5)
        assert refused.value.code() == code
    batches = [batch_of(1 + i * 1000, 1000) for i in range(5)]
    reply = stream(iter(batches), metadata=developer(), timeout=30)
    assert (reply.batches, reply.ticks, reply.stored, reply.duplicates) == (5, 5000, 5000, 0)
    with pytest.raises(grpc.RpcError) as refused:
        stream(
            iter([batch_of(1, 10), batch_of(6000, 10, price=-1.0)]),
            metadata=developer(),
            timeout=10,
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details().startswith("batch 1: tick 0: price -1.0")
    assert asset_stats(platform_mesh, "MESH-BATCH")["count"] == 5000


def test_a_stream_cut_by_its_deadline_leaves_analytics_storing_the_next_ones(
    platform_mesh, channel, proto
):
    """The cut resets the stream while analytics may be inside a batch's insert: that batch is
    finished, and the next stream is stored whole (it was refused until a restart)."""
    stream = channel.stream_unary(
        f"/{V1}/StreamMarketData",
        request_serializer=serialize,
        response_deserializer=proto["capsure.analytics.v1.StreamMarketDataResponse"].FromString,
    )
    tick = proto["capsure.analytics.v1.StreamMarketDataRequest"]

    def ticks(symbol: str, count: int):
        return (tick(asset_symbol=symbol, price=1.0, timestamp=t) for t in range(1, count + 1))

    with pytest.raises(grpc.RpcError) as cut:
        stream(ticks("MESH-CUT", 200_000), metadata=developer(), timeout=0.5)
    assert cut.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    cut_stats = httpx.get(
        f"{platform_mesh.edge_url}/api/analytics/assets/MESH-CUT/stats", trust_env=False, timeout=5
    )
    stored_of_the_cut = cut_stats.json()["count"] if cut_stats.status_code == 200 else 0
    reply = stream(ticks("MESH-NEXT", 1000), metadata=developer(), timeout=10)
    print(f"[grpc] cut stream: {stored_of_the_cut} ticks stored; next stream: {reply}")
    assert (reply.accepted, reply.success) == (1000, True)
    assert asset_stats(platform_mesh, "MESH-NEXT")["count"] == 1000


def test_an_invalid_tick_is_invalid_argument_through_the_edge(channel, proto):
    send = channel.unary_unary(
        f"/{SEED}/SendMarketData",
        request_serializer=serialize,
        response_deserializer=proto["market.MarketDataResponse"].FromString,
    )
    with pytest.raises(grpc.RpcError) as error:
        send(
            proto["market.MarketDataRequest"](assetSymbol="eth", price=1.0, timestamp=1),
            metadata=developer(),
            timeout=5,
        )
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "asset_symbol" in error.value.details()


def test_undecodable_bytes_get_their_status_through_the_edge(platform_mesh, channel, proto):
    """Bytes that are no protobuf are INVALID_ARGUMENT through two Envoys, and analytics keeps
    serving and stays healthy. (A 1 MB message, refused from its length prefix within 100 ms:
    test_trust_attacks.py.)"""
    send = channel.unary_unary(
        f"/{V1}/SendMarketData", request_serializer=bytes, response_deserializer=bytes
    )
    request = proto["capsure.analytics.v1.SendMarketDataRequest"]
    with pytest.raises(grpc.RpcError) as undecodable:
        send(b"\x0a\x02\xff\xfe", metadata=developer(), timeout=5)  # asset_symbol: no UTF-8
    assert undecodable.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    kept = request(asset_symbol="MESH-AFTER", price=1.0, timestamp=1).SerializeToString()
    assert send(kept, metadata=developer(), timeout=5) == b"\x08\x01"  # success: true
    assert stat(platform_mesh.edge, "cluster.analytics_grpc.membership_healthy") == 1


def test_a_grpc_service_the_edge_does_not_route_is_unimplemented(channel, proto):
    send = channel.unary_unary(
        "/capsure.nosuch.v1.Service/Call",
        request_serializer=serialize,
        response_deserializer=proto["market.MarketDataResponse"].FromString,
    )
    with pytest.raises(grpc.RpcError) as error:
        send(proto["market.MarketDataRequest"](), timeout=5)
    # The edge's problem+json 404, mapped by the client to gRPC's status for an HTTP 404.
    assert error.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_envoy_health_checks_analytics_over_grpc_health_v1(platform_mesh):
    """The standard protocol, as the edge's own active health checks speak it (by service
    name) through the analytics sidecar: they succeed and keep the host healthy."""
    assert platform_mesh.edge is not None
    name = "cluster.analytics_grpc.health_check.success"
    before = stat(platform_mesh.edge, name)
    # Health checks run every second; a bounded wait for the next one.
    poll(lambda: stat(platform_mesh.edge, name) > before, "health checked again", 5)
    assert stat(platform_mesh.edge, "cluster.analytics_grpc.health_check.failure") == 0
    assert stat(platform_mesh.edge, "cluster.analytics_grpc.membership_healthy") == 1


@pytest.mark.parametrize("service", [SEED, V1])
def test_grpc_health_check_through_the_edge(channel, service):
    health = health_pb2_grpc.HealthStub(channel)
    reply = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
