"""Wire compatibility of analytics' gRPC server with stock clients.

The client side uses nothing of ours: grpcio, and message classes built at test time by
Google's protobuf runtime from the contracts (a `buf build` descriptor image), so betterproto
is checked against the reference implementation of the wire format.
"""

from __future__ import annotations

import math
from pathlib import Path

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from mesh.processes import AppProcess

pytestmark = pytest.mark.contract

ROOT = Path(__file__).resolve().parents[2]
V1 = "capsure.analytics.v1.MarketDataService"
SEED = "market.MarketDataService"


def unary(channel: grpc.Channel, path: str, response_type: type):
    return channel.unary_unary(
        path,
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=response_type.FromString,
    )


def stats(analytics: AppProcess, symbol: str) -> dict:
    return httpx.get(f"{analytics.url}/api/analytics/assets/{symbol}/stats").json()


def test_the_seed_contract_is_served(channel, messages, analytics):
    send = unary(channel, f"/{SEED}/SendMarketData", messages["market.MarketDataResponse"])
    request = messages["market.MarketDataRequest"](assetSymbol="SEED", price=10.0, timestamp=5)
    assert send(request, timeout=5).success is True
    assert stats(analytics, "SEED")["count"] == 1


def test_the_versioned_contract_is_served(channel, messages, analytics):
    send = unary(
        channel, f"/{V1}/SendMarketData", messages["capsure.analytics.v1.SendMarketDataResponse"]
    )
    request = messages["capsure.analytics.v1.SendMarketDataRequest"]
    assert send(request(asset_symbol="V1", price=2.5, timestamp=7), timeout=5).success
    # The same source id twice is counted once.
    for _ in range(2):
        assert send(request(asset_symbol="V1", price=3.5, timestamp=8, source_id="t-1"), timeout=5)
    assert stats(analytics, "V1")["count"] == 2


def test_seed_bytes_decode_as_the_versioned_request(messages):
    seed = messages["market.MarketDataRequest"](assetSymbol="ETH", price=1.5, timestamp=9)
    v1 = messages["capsure.analytics.v1.SendMarketDataRequest"].FromString(seed.SerializeToString())
    assert (v1.asset_symbol, v1.price, v1.timestamp) == ("ETH", 1.5, 9)


def test_client_streaming_counts_accepted_and_rejected(channel, messages, analytics):
    tick = messages["capsure.analytics.v1.StreamMarketDataRequest"]
    stream = channel.stream_unary(
        f"/{V1}/StreamMarketData",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=messages["capsure.analytics.v1.StreamMarketDataResponse"].FromString,
    )
    ticks = [tick(asset_symbol="STRM", price=float(p), timestamp=p) for p in range(1, 101)]
    ticks.append(tick(asset_symbol="bad symbol", price=1.0, timestamp=1))
    reply = stream(iter(ticks), timeout=10)
    assert (reply.accepted, reply.rejected, reply.success) == (100, 1, False)
    assert stats(analytics, "STRM") | {"mean": round(stats(analytics, "STRM")["mean"], 6)} == {
        "assetSymbol": "STRM",
        "count": 100,
        "min": 1.0,
        "max": 100.0,
        "mean": 50.5,
        "last": 100.0,
        "lastTimestamp": 100,
    }


@pytest.mark.parametrize(
    "fields",
    [
        {"assetSymbol": "eth", "price": 1.0, "timestamp": 1},
        {"assetSymbol": "", "price": 1.0, "timestamp": 1},
        {"assetSymbol": "ETH", "price": -1.0, "timestamp": 1},
        {"assetSymbol": "ETH", "price": 0.0, "timestamp": 1},
        {"assetSymbol": "ETH", "price": math.nan, "timestamp": 1},
        {"assetSymbol": "ETH", "price": math.inf, "timestamp": 1},
        {"assetSymbol": "ETH", "price": 1.0, "timestamp": -1},
    ],
    ids=["lowercase", "empty", "negative", "zero", "nan", "inf", "negative time"],
)
def test_bad_ticks_are_invalid_argument(channel, messages, fields):
    send = unary(channel, f"/{SEED}/SendMarketData", messages["market.MarketDataResponse"])
    with pytest.raises(grpc.RpcError) as error:
        send(messages["market.MarketDataRequest"](**fields), timeout=5)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.value.details()


def test_unknown_method_is_unimplemented(channel, messages):
    send = unary(channel, f"/{V1}/NoSuchMethod", messages["market.MarketDataResponse"])
    with pytest.raises(grpc.RpcError) as error:
        send(messages["market.MarketDataRequest"](), timeout=5)
    assert error.value.code() == grpc.StatusCode.UNIMPLEMENTED


@pytest.mark.parametrize("service", [V1, SEED, ""])
def test_standard_health_protocol_per_service(channel, service):
    health = health_pb2_grpc.HealthStub(channel)
    reply = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_health_of_an_unknown_service_is_not_found(channel):
    health = health_pb2_grpc.HealthStub(channel)
    with pytest.raises(grpc.RpcError) as error:
        health.Check(health_pb2.HealthCheckRequest(service="nope.Service"), timeout=5)
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
