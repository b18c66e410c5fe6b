"""What a gRPC message may be: strict protobuf (betterproto alone takes truncated and mangled
bytes), a size bound on both ends, and the status each side answers when either is broken.
The bound a server applies from the length prefix is exercised against a running server
(tests/contract/test_grpc_hostile_input.py)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import betterproto
import pytest
from grpclib import GRPCError, Status

from generated.grpc import market
from generated.grpc.capsure.analytics import v1
from services.common.grpc_messages import (
    MessageLimits,
    client_codec,
    refusing_long_requests,
    server_codec,
)
from services.common.market_data import MAX_TICK_MESSAGE_BYTES
from services.common.protobuf_wire import MalformedMessage, check_wire_format

pytestmark = pytest.mark.unit

LIMITS = MessageLimits(max_receive_bytes=100, max_send_bytes=50)
TICK = v1.StreamMarketDataRequest(
    asset_symbol="ETH-USD", price=1.5, timestamp=9, source_id="t-1", quantity=2.0
)


# Field 2 (a double), length-delimited: two doubles packed, as for a repeated field.
PACKED_PRICES = b"\x12\x10" + struct.pack("<dd", 1.0, 2.0)


@dataclass(eq=False, repr=False)
class Prices(betterproto.Message):
    """A message with a repeated number field (the market data messages have none)."""

    prices: list[float] = betterproto.double_field(2)  # noqa: RUF009 (as generated code)


def test_only_a_repeated_number_field_may_come_packed():
    check_wire_format(PACKED_PRICES, Prices)
    assert Prices().parse(PACKED_PRICES).prices == [1.0, 2.0]
    unpacked = b"\x11" + struct.pack("<d", 1.0) + b"\x11" + struct.pack("<d", 2.0)
    check_wire_format(unpacked, Prices)


def test_a_well_formed_message_passes_and_unknown_fields_are_skipped():
    check_wire_format(bytes(TICK), v1.StreamMarketDataRequest)
    # The seed's message is read as the versioned one: same fields, fewer of them.
    check_wire_format(bytes(market.MarketDataRequest(asset_symbol="A")), v1.SendMarketDataRequest)
    unknown_field_99 = b"\x98\x06\x01"  # field 99, varint 1
    check_wire_format(bytes(TICK) + unknown_field_99, v1.StreamMarketDataRequest)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (bytes(TICK)[:-3], "needs 8 bytes"),  # the quantity cut short
        (b"\x0a\x10ETH", "field 1 needs 16 bytes, 3 left"),  # a symbol cut short
        (b"\x0b", "wire type 3"),  # a group: obsolete, never in our contracts
        (b"\x0f", "wire type 7"),
        (b"\x00\x01", "field number 0"),
        (b"\x18" + b"\xff" * 10 + b"\x01", "longer than 10 bytes"),
        (b"\x18\xff", "runs past the end"),
        (b"\x10\x05", "field 2 must be 64-bit, not varint"),  # a price sent as an integer
        (b"\x0d\x00\x00\x00\x00", "field 1 must be length-delimited, not 32-bit"),
        (PACKED_PRICES, "field 2 must be 64-bit, not length-delimited"),
    ],
    ids=[
        "truncated double",
        "truncated string",
        "group",
        "wire type 7",
        "field 0",
        "long varint",
        "unfinished varint",
        "price as varint",
        "symbol as fixed32",
        "price packed",  # betterproto alone reads a list of prices
    ],
)
def test_malformed_bytes_are_refused_with_where_and_why(data, words):
    with pytest.raises(MalformedMessage, match=words):
        check_wire_format(data, v1.StreamMarketDataRequest)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"\x0a\x02\xff\xfe", "a string field is not valid UTF-8"),
        (b"\x0a\x03\xed\xa0\x80", "a string field is not valid UTF-8"),  # a surrogate
        (bytes(TICK)[:-1], "needs 8 bytes"),
    ],
    ids=["not utf-8", "surrogate", "truncated"],
)
@pytest.mark.parametrize(
    ("codec", "status"),
    [(server_codec(LIMITS), Status.INVALID_ARGUMENT), (client_codec(LIMITS), Status.INTERNAL)],
    ids=["server: the client's fault", "client: the server's fault"],
)
def test_undecodable_bytes_are_the_peers_fault(codec, status, data, words):
    with pytest.raises(GRPCError) as refused:
        codec.decode(data, v1.StreamMarketDataRequest)
    assert refused.value.status is status
    assert refused.value.message.startswith("not a valid StreamMarketDataRequest: ")
    assert words in refused.value.message


def test_a_decoded_message_is_the_message():
    assert server_codec(LIMITS).decode(bytes(TICK), v1.StreamMarketDataRequest) == TICK


def test_a_message_over_the_receive_limit_is_resource_exhausted_unread():
    with pytest.raises(GRPCError) as refused:
        server_codec(LIMITS).decode(b"\xff" * 101, v1.StreamMarketDataRequest)
    assert refused.value.status is Status.RESOURCE_EXHAUSTED
    assert refused.value.message == "a message of 101 bytes is over the limit of 100 bytes"


def test_a_message_over_the_send_limit_is_not_sent():
    codec = client_codec(LIMITS)
    assert codec.encode(TICK, v1.StreamMarketDataRequest) == bytes(TICK)
    big = v1.StreamMarketDataRequest(asset_symbol="X" * 60)
    with pytest.raises(GRPCError) as refused:
        codec.encode(big, v1.StreamMarketDataRequest)
    assert refused.value.status is Status.RESOURCE_EXHAUSTED
    assert "62 bytes is over the limit of 50 bytes to send" in refused.value.message


def test_the_largest_valid_tick_fits_the_bound_with_room():
    largest = v1.StreamMarketDataRequest(
        asset_symbol="A" * 12 + "-" + "B" * 12,
        price=1e12,
        timestamp=-1,  # the longest varint any int64 takes (10 bytes)
        source_id="\U0010ffff" * 128,  # 4 bytes each in UTF-8
        quantity=1e15,
    )
    assert 500 < len(bytes(largest)) < MAX_TICK_MESSAGE_BYTES / 4


def test_a_limit_too_small_for_the_length_prefix_is_refused():
    with pytest.raises(ValueError):
        refusing_long_requests(v1.MarketDataServiceBase(), 4)


def test_every_method_of_a_servicer_is_bounded_and_keeps_its_signature():
    servicer = v1.MarketDataServiceBase()
    bounded = refusing_long_requests(servicer, 100).__mapping__()
    original = servicer.__mapping__()
    assert bounded.keys() == original.keys()
    for path, handler in bounded.items():
        assert handler[1:] == original[path][1:]  # cardinality, request and reply types
        assert handler.func is not original[path].func


def test_a_method_may_have_its_own_bound():
    servicer = v1.MarketDataServiceBase()
    batch = "/capsure.analytics.v1.MarketDataService/StreamTickBatches"
    with pytest.raises(ValueError):
        refusing_long_requests(servicer, 100, per_method={batch: 4})
    bounded = refusing_long_requests(servicer, 100, per_method={batch: 1000}).__mapping__()
    assert bounded.keys() == servicer.__mapping__().keys()
