"""The TickBatch fast encoder writes what betterproto writes; the fast decoder reads what
betterproto (and protobuf) write, exactly as they would, and refuses what protobuf_wire
refuses; the analytics codec maps its refusals to the right gRPC status (too many ticks, too
many bytes: RESOURCE_EXHAUSTED; malformed: INVALID_ARGUMENT) and leaves every other message to
the strict betterproto path."""

from __future__ import annotations

import math
import struct

import pytest
from grpclib import GRPCError, Status

from generated.grpc.capsure.analytics import v1
from services.analytics.entrypoints.grpc_server import MESSAGE_LIMITS
from services.analytics.entrypoints.tick_batch_codec import TickBatchCodec
from services.common.protobuf_wire import MalformedMessage
from services.common.tick_batch_wire import (
    MAX_BATCH_MESSAGE_BYTES,
    MAX_TICKS_PER_BATCH,
    TooManyTicks,
    decode_tick_batch,
    encode_tick_batch,
)

pytestmark = pytest.mark.unit

TICKS = [
    v1.Tick(asset_symbol="BTC-USD", price=101.25, timestamp=1_700_000_000_000, source_id="a-1"),
    v1.Tick(asset_symbol="ETH", price=5e-324, timestamp=0, quantity=1e15),  # defaults omitted
    v1.Tick(),  # every field at its zero value: no bytes at all
    v1.Tick(asset_symbol="X", price=math.inf, timestamp=-1, source_id="\U0010ffff" * 128),
    v1.Tick(asset_symbol="Y", price=math.nan, timestamp=2**63 - 1, quantity=-0.0),
]


def as_tuple(tick: v1.Tick) -> tuple:
    return (tick.asset_symbol, tick.price, tick.timestamp, tick.source_id, tick.quantity)


def same(a: tuple, b: tuple) -> bool:
    return all(
        x == y or (isinstance(x, float) and math.isnan(x) and math.isnan(y))
        for x, y in zip(a, b, strict=True)
    )


def test_it_reads_what_betterproto_writes_as_betterproto_reads_it():
    data = bytes(v1.StreamTickBatchesRequest(ticks=TICKS))
    decoded = decode_tick_batch(data, max_ticks=10)
    parsed = v1.StreamTickBatchesRequest().parse(data).ticks
    assert len(decoded) == len(parsed) == len(TICKS)
    for mine, theirs in zip(decoded, parsed, strict=True):
        assert same(mine, as_tuple(theirs))


def test_it_writes_what_betterproto_writes():
    ticks = [
        t for t in TICKS if not any(isinstance(v, float) and math.isnan(v) for v in as_tuple(t))
    ]
    ticks += [v1.Tick(asset_symbol="NEG", price=1.0, timestamp=-(2**63))]
    assert encode_tick_batch(as_tuple(t) for t in ticks) == bytes(
        v1.StreamTickBatchesRequest(ticks=ticks)
    )
    many = [("BTC", 1.0 + i, i * 1000, f"id-{i}", 0.25 * i) for i in range(300)]
    assert decode_tick_batch(encode_tick_batch(many), max_ticks=300) == many


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def field(number: int, wire_type: int, payload: bytes) -> bytes:
    if wire_type == 2:
        payload = varint(len(payload)) + payload
    return varint(number << 3 | wire_type) + payload


def batch_of(*ticks: bytes) -> bytes:
    return b"".join(field(1, 2, t) for t in ticks)


def test_unknown_fields_are_skipped_and_the_last_copy_of_a_field_wins():
    tick = (
        field(1, 2, b"OLD")
        + field(9, 0, varint(7))  # unknown varint
        + field(10, 2, b"anything")  # unknown bytes
        + field(11, 5, b"\0\0\0\0")  # unknown 32-bit
        + field(2, 1, struct.pack("<d", 2.5))
        + field(1, 2, b"NEW")
    )
    data = batch_of(tick) + field(7, 2, b"unknown beside the ticks")
    assert decode_tick_batch(data, max_ticks=1) == [("NEW", 2.5, 0, "", 0.0)]
    assert as_tuple(v1.StreamTickBatchesRequest().parse(data).ticks[0]) == ("NEW", 2.5, 0, "", 0.0)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (batch_of(field(1, 2, b"BTC")[:-1]), "tick 0: field 1 needs 3 bytes"),
        (field(1, 2, b"abc")[:-1], "tick 0 needs 3 bytes"),
        (batch_of(field(2, 0, varint(1))), "tick 0: field 2 has wire type 0, not 1"),
        (batch_of(field(3, 1, b"\0" * 8)), "tick 0: field 3 has wire type 1, not 0"),
        (batch_of(field(1, 0, varint(1))), "tick 0: field 1 has wire type 0, not 2"),
        (field(1, 0, varint(1)), "field 1 (ticks) must be length-delimited"),
        (batch_of(field(2, 1, b"\0" * 4)), "tick 0: field 2 needs 8 bytes"),
        (batch_of(b"\x18" + b"\xff" * 10 + b"\x01"), "tick 0: a varint is longer than 10 bytes"),
        (batch_of(b"\x18\xff"), "tick 0: a varint runs past the end"),
        (batch_of(field(1, 2, b"\xff\xfe")), "tick 0: a string is not valid UTF-8"),
        (batch_of(varint(9 << 3 | 3)), "tick 0: field 9 has wire type 3"),  # a group
        (batch_of(b"\x00"), "tick 0: field number 0"),
    ],
    ids=[
        "cut string",
        "cut tick",
        "price as varint",
        "timestamp as fixed64",
        "symbol as varint",
        "ticks as varint",
        "cut double",
        "long varint",
        "cut varint",
        "not utf-8",
        "group",
        "field 0",
    ],
)
def test_malformed_bytes_are_refused_saying_where(data, words):
    with pytest.raises(MalformedMessage) as refused:
        decode_tick_batch(data, max_ticks=10)
    assert str(refused.value).startswith(words)


def test_a_timestamp_keeps_the_low_64_bits_of_its_varint_as_protobuf_does():
    data = batch_of(field(3, 0, varint(2**64 + 5)))  # 65 bits: ten bytes
    assert decode_tick_batch(data, max_ticks=1)[0][2] == 5
    negative = bytes(v1.StreamTickBatchesRequest(ticks=[v1.Tick(timestamp=-2)]))
    assert decode_tick_batch(negative, max_ticks=1)[0][2] == -2


def test_too_many_ticks_are_refused_before_any_is_decoded():
    data = batch_of(*[field(1, 2, b"\xff")] * 3)  # not UTF-8: decoding would fail otherwise
    with pytest.raises(TooManyTicks):
        decode_tick_batch(data, max_ticks=2)


@pytest.fixture
def codec() -> TickBatchCodec:
    return TickBatchCodec(MESSAGE_LIMITS)


def test_the_codec_maps_refusals_to_statuses(codec):
    tick = bytes(v1.StreamTickBatchesRequest(ticks=[TICKS[0]]))
    assert codec.decode(tick, v1.StreamTickBatchesRequest) == [as_tuple(TICKS[0])]
    cases = [
        (tick * (MAX_TICKS_PER_BATCH + 1), Status.RESOURCE_EXHAUSTED, "a batch holds more than"),
        (b"\0" * (MAX_BATCH_MESSAGE_BYTES + 1), Status.RESOURCE_EXHAUSTED, "a message of"),
        (b"\x0a\x05ab", Status.INVALID_ARGUMENT, "not a valid StreamTickBatchesRequest: tick 0"),
    ]
    for data, status, words in cases:
        with pytest.raises(GRPCError) as refused:
            codec.decode(data, v1.StreamTickBatchesRequest)
        assert refused.value.status is status
        assert (refused.value.message or "").startswith(words)


def test_other_messages_keep_the_strict_betterproto_path(codec):
    one = v1.SendMarketDataRequest(asset_symbol="BTC", price=1.0, timestamp=1)
    assert codec.decode(bytes(one), v1.SendMarketDataRequest) == one
    with pytest.raises(GRPCError) as refused:
        codec.decode(b"\x0a\x05ab", v1.SendMarketDataRequest)
    assert refused.value.status is Status.INVALID_ARGUMENT
