"""Attacks on analytics' gRPC ingest from a stock grpcio client, against a running instance:
huge fields, huge messages, bytes that are no protobuf, strings that are no UTF-8, ticks from
the future. Each is answered at once with a proper status and a short message, and the
instance keeps serving.

Before the fix a 48 KB invalid asset_symbol took 0.19 s to answer, 192 KB 3 s, 1 MB 176 s
with the event loop frozen (its status message, HPACK-encoded in pure Python, quoted the
symbol whole); 50 MB never recovered; undecodable bytes answered UNKNOWN."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.common.grpc_messages import too_long
from services.common.market_data import MAX_FUTURE_SKEW, MAX_TICK_MESSAGE_BYTES

pytestmark = pytest.mark.contract

V1 = "capsure.analytics.v1.MarketDataService"
SEED = "market.MarketDataService"
# The bound, for the 1 MB symbol: refusing takes a check of the length prefix, not a
# read of the input.
ANSWERED_WITHIN_SECONDS = 0.1
# Every other bound only catches a hang or a frozen loop: on 2 shared cores under xdist the
# server can lose the CPU for longer than 0.1 s. The short status messages catch the quadratic
# regression (quoting the input whole), whatever the load.
PROMPTLY_SECONDS = 2.0
SHORT_MESSAGE = 200  # characters of a status message about one bad field


def raw_unary(channel: grpc.Channel, path: str):
    """A call that sends bytes as they are: what an attacker's client does."""
    return channel.unary_unary(path, request_serializer=bytes, response_deserializer=bytes)


def raw_stream(channel: grpc.Channel):
    return channel.stream_unary(
        f"/{V1}/StreamMarketData", request_serializer=bytes, response_deserializer=bytes
    )


def tick_bytes(messages, symbol: str = "OK", timestamp: int = 1, name="SendMarketDataRequest"):
    tick = messages[f"capsure.analytics.v1.{name}"]
    return tick(asset_symbol=symbol, price=1.0, timestamp=timestamp).SerializeToString()


def refused(call, request, timeout: float = 30) -> tuple[grpc.RpcError, float]:
    started = time.perf_counter()
    with pytest.raises(grpc.RpcError) as error:
        call(request, timeout=timeout)
    return error.value, time.perf_counter() - started


def assert_still_serving(channel: grpc.Channel, messages) -> None:
    send = raw_unary(channel, f"/{V1}/SendMarketData")
    reply = messages["capsure.analytics.v1.SendMarketDataResponse"].FromString(
        send(tick_bytes(messages), timeout=5)
    )
    assert reply.success is True
    health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert health.status == health_pb2.HealthCheckResponse.SERVING


def now_millis(ahead: timedelta = timedelta()) -> int:
    return int((datetime.now(UTC) + ahead).timestamp() * 1000)


@pytest.fixture(autouse=True)
def _warm(channel, messages) -> None:
    assert_still_serving(channel, messages)  # connected: timings measure answers only


@pytest.mark.parametrize(
    ("megabytes", "within_seconds"),
    [(1, ANSWERED_WITHIN_SECONDS), (50, PROMPTLY_SECONDS)],
    ids=["1 MB", "50 MB"],
)
def test_a_huge_symbol_is_refused_at_once_by_its_length(
    channel, messages, megabytes, within_seconds
):
    send = raw_unary(channel, f"/{V1}/SendMarketData")
    request = tick_bytes(messages, symbol="x" * megabytes * 1_000_000)
    error, elapsed = refused(send, request)
    print(f"[hostile-grpc] {megabytes} MB symbol: {error.code().name} in {elapsed * 1000:.1f} ms")
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    # The length prefix's refusal: the size it announced, over the limit.
    assert error.details() == too_long(len(request), MAX_TICK_MESSAGE_BYTES).message
    assert elapsed < within_seconds
    assert_still_serving(channel, messages)


def test_an_invalid_symbol_under_the_limit_is_quoted_as_a_short_prefix(channel, messages):
    send = raw_unary(channel, f"/{SEED}/SendMarketData")
    symbol = "x" * (MAX_TICK_MESSAGE_BYTES - 100)
    error, elapsed = refused(send, tick_bytes(messages, symbol=symbol))
    print(f"[hostile-grpc] {len(symbol)}-character asset_symbol: {elapsed * 1000:.1f} ms")
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert f"… ({len(symbol)} characters) must be a ticker" in error.details()
    assert len(error.details()) < SHORT_MESSAGE
    assert elapsed < PROMPTLY_SECONDS


def test_a_message_over_the_limit_ends_a_stream_with_resource_exhausted(channel, messages):
    ticks = [tick_bytes(messages, name="StreamMarketDataRequest")] * 3
    over = tick_bytes(messages, symbol="x" * 10_000, name="StreamMarketDataRequest")
    error, elapsed = refused(raw_stream(channel), iter([*ticks, over]))
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error.details() == too_long(len(over), MAX_TICK_MESSAGE_BYTES).message
    assert elapsed < PROMPTLY_SECONDS
    assert_still_serving(channel, messages)


NOT_UTF8 = b"\x0a\x02\xff\xfe"  # asset_symbol: two bytes that are no UTF-8
UNDECODABLE = {
    "not utf-8": NOT_UTF8,
    "surrogate": b"\x0a\x03\xed\xa0\x80",
    "truncated": b"\x0a\x10ETH",  # a 16-byte symbol with 3 bytes
    "group": b"\x0b\x0c",
    "long varint": b"\x18" + b"\xff" * 11,
    "price as varint": b"\x0a\x03ETH\x10\x05\x18\x01",
}


@pytest.mark.parametrize("data", UNDECODABLE.values(), ids=UNDECODABLE.keys())
@pytest.mark.parametrize("service", [V1, SEED])
def test_undecodable_requests_are_invalid_argument(channel, messages, service, data):
    error, _ = refused(raw_unary(channel, f"/{service}/SendMarketData"), data)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("not a valid ")
    assert len(error.details()) < SHORT_MESSAGE


@pytest.mark.parametrize("data", UNDECODABLE.values(), ids=UNDECODABLE.keys())
def test_an_undecodable_message_ends_a_stream_with_invalid_argument(channel, messages, data):
    good = tick_bytes(messages, name="StreamMarketDataRequest")
    error, _ = refused(raw_stream(channel), iter([good, data, good]))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("not a valid StreamMarketDataRequest")
    assert_still_serving(channel, messages)


def test_undecodable_requests_leave_no_traceback_in_the_log(channel, messages, analytics):
    for data in UNDECODABLE.values():
        refused(raw_unary(channel, f"/{V1}/SendMarketData"), data)
    assert "Traceback" not in analytics.log_path.read_text(errors="replace")


def test_a_tick_from_the_future_is_invalid_argument(channel, messages):
    send = raw_unary(channel, f"/{V1}/SendMarketData")
    in_2100 = tick_bytes(messages, symbol="FUTURE", timestamp=4_102_444_800_000)
    error, _ = refused(send, in_2100)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "s ahead of this server's clock" in error.details()
    skew_ahead = now_millis(MAX_FUTURE_SKEW - timedelta(seconds=30))  # within the skew
    assert send(tick_bytes(messages, symbol="FUTURE", timestamp=skew_ahead), timeout=5)


def test_a_stream_counts_a_tick_from_the_future_as_rejected(channel, messages):
    reply_type = messages["capsure.analytics.v1.StreamMarketDataResponse"]
    ticks = [
        tick_bytes(messages, "STREAMED", now_millis(), "StreamMarketDataRequest"),
        tick_bytes(messages, "STREAMED", now_millis(timedelta(days=1)), "StreamMarketDataRequest"),
    ]
    reply = reply_type.FromString(raw_stream(channel)(iter(ticks), timeout=5))
    assert (reply.accepted, reply.rejected, reply.success) == (1, 1, False)
