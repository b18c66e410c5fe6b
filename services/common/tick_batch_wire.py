"""A TickBatch (capsure.analytics.v1.StreamTickBatchesRequest) to and from its bytes, as plain
tuples: analytics decodes batches with it, trading (and the benchmarks) encode them. Decoding
checks the wire format as strictly as services/common/protobuf_wire does.

Why not betterproto: it builds one Tick message per tick, and its attribute hooks make that
~100 µs a tick to parse (~30 µs to build and encode; bench/grpc_stream.py prints the costs): a
1,000-tick batch took longer to parse than to store. This walks the bytes once (about 2 µs a
tick). betterproto stays the stubs and the service types; only these bytes take this path
(analytics' server codec, trading's client codec), and tests compare them with betterproto's
and protobuf's.

Read as protobuf reads it: unknown fields are skipped, the last copy of a field wins, a missing
field is its zero value. Refused (MalformedMessage): a varint longer than 10 bytes, a length
past the end, a field of the message with another wire type, a group, a string that is not
UTF-8, and more than `max_ticks` ticks (counted before any is decoded)."""

from __future__ import annotations

from collections.abc import Iterable
from struct import Struct

from services.common.protobuf_wire import MalformedMessage

# The contract's bounds of one TickBatch (market_data.proto states them), for both ends.
MAX_TICKS_PER_BATCH = 1_000
# 1,000 ticks of the largest kind (about 570 bytes each: market_data.MAX_TICK_MESSAGE_BYTES)
# fit; typical ticks are ~75 bytes, so a full batch is ~75 KB.
MAX_BATCH_MESSAGE_BYTES = 1024 * 1024

# (asset_symbol, price, timestamp, source_id, quantity) as the message carries them: an empty
# source_id is "none"; validity is the domain's business (MarketTick).
WireTick = tuple[str, float, int, str, float]

_DOUBLE = Struct("<d")
_TICKS_FIELD = 1 << 3 | 2  # field 1, length-delimited
_INT64_WRAP = 1 << 64
_UINT64_MASK = _INT64_WRAP - 1  # protobuf keeps a varint's low 64 bits
_INT64_MAX = (1 << 63) - 1
# A Tick's fields by tag (number << 3 | wire type).
_SYMBOL, _PRICE, _TIMESTAMP, _SOURCE_ID, _QUANTITY = 0x0A, 0x11, 0x18, 0x22, 0x29
_TICK_FIELD_NUMBERS = {1: _SYMBOL, 2: _PRICE, 3: _TIMESTAMP, 4: _SOURCE_ID, 5: _QUANTITY}


def decode_tick_batch(data: bytes, *, max_ticks: int) -> list[WireTick]:
    """The ticks of a StreamTickBatchesRequest, in order."""
    spans = _tick_spans(data, max_ticks)
    ticks = []
    for number, (start, end) in enumerate(spans):
        try:
            ticks.append(_tick(data, start, end))
        except MalformedMessage as error:
            raise MalformedMessage(f"tick {number}: {error}") from None
        except UnicodeDecodeError:
            raise MalformedMessage(f"tick {number}: a string is not valid UTF-8") from None
    return ticks


def _tick_spans(data: bytes, max_ticks: int) -> list[tuple[int, int]]:
    """Where each tick's bytes are; refuses the batch before decoding when there are too many."""
    spans = []
    position, end = 0, len(data)
    while position < end:
        tag, position = _varint(data, position)
        if tag == _TICKS_FIELD:
            length, position = _varint(data, position)
            stop = position + length
            if stop > end:
                raise MalformedMessage(f"tick {len(spans)} needs {length} bytes, fewer are left")
            spans.append((position, stop))
            if len(spans) > max_ticks:
                raise TooManyTicks(max_ticks)
            position = stop
        elif tag >> 3 == 1:
            raise MalformedMessage("field 1 (ticks) must be length-delimited")
        else:
            position = _skip(data, position, end, tag)
    return spans


class TooManyTicks(MalformedMessage):
    """More ticks in one batch than allowed: a bound, not a malformed message."""

    def __init__(self, max_ticks: int) -> None:
        self.max_ticks = max_ticks
        super().__init__(f"a batch holds more than {max_ticks} ticks")


def _tick(data: bytes, position: int, end: int) -> WireTick:
    symbol = source_id = ""
    price = quantity = 0.0
    timestamp = 0
    while position < end:
        tag = data[position]
        if tag < 0x80:
            position += 1
        else:
            tag, position = _varint(data, position, end)
        if tag in (_SYMBOL, _SOURCE_ID):
            length = data[position] if position < end else 0x80
            if length < 0x80:
                position += 1
            else:
                length, position = _varint(data, position, end)
            stop = position + length
            if stop > end:
                raise MalformedMessage(f"field {tag >> 3} needs {length} bytes, fewer are left")
            text = data[position:stop].decode()
            if tag == _SYMBOL:
                symbol = text
            else:
                source_id = text
            position = stop
        elif tag in (_PRICE, _QUANTITY):
            if position + 8 > end:
                raise MalformedMessage(f"field {tag >> 3} needs 8 bytes, fewer are left")
            (value,) = _DOUBLE.unpack_from(data, position)
            position += 8
            if tag == _PRICE:
                price = value
            else:
                quantity = value
        elif tag == _TIMESTAMP:
            timestamp, position = _varint(data, position, end)
            timestamp &= _UINT64_MASK
            if timestamp > _INT64_MAX:  # a negative int64: ten bytes of two's complement
                timestamp -= _INT64_WRAP
        else:
            expected = _TICK_FIELD_NUMBERS.get(tag >> 3)
            if expected is not None:
                raise MalformedMessage(
                    f"field {tag >> 3} has wire type {tag & 7}, not {expected & 7}"
                )
            position = _skip(data, position, end, tag)
    return symbol, price, timestamp, source_id, quantity


def _skip(data: bytes, position: int, end: int, tag: int) -> int:
    """Past an unknown field's value."""
    number, wire_type = tag >> 3, tag & 7
    if number == 0:
        raise MalformedMessage(f"field number 0 at byte {position}")
    if wire_type == 0:
        return _varint(data, position, end)[1]
    if wire_type == 2:
        size, position = _varint(data, position, end)
    elif wire_type == 1:
        size = 8
    elif wire_type == 5:
        size = 4
    else:
        raise MalformedMessage(f"field {number} has wire type {wire_type}")
    if position + size > end:
        raise MalformedMessage(f"field {number} needs {size} bytes, fewer are left")
    return position + size


def _varint(data: bytes, position: int, end: int | None = None) -> tuple[int, int]:
    end = len(data) if end is None else end
    value = shift = 0
    while shift < 70:
        if position >= end:
            raise MalformedMessage("a varint runs past the end of its field")
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, position
        shift += 7
    raise MalformedMessage("a varint is longer than 10 bytes")


def encode_tick_batch(ticks: Iterable[WireTick]) -> bytes:
    """The bytes of a StreamTickBatchesRequest of `ticks`, as protobuf writes them (fields at
    their zero value are left out)."""
    out = bytearray()
    for symbol, price, timestamp, source_id, quantity in ticks:
        tick = bytearray()
        if symbol:
            _put_text(tick, _SYMBOL, symbol)
        if price:
            tick += b"\x11" + _DOUBLE.pack(price)
        if timestamp:
            tick += b"\x18" + _varint_bytes(timestamp & _UINT64_MASK)
        if source_id:
            _put_text(tick, _SOURCE_ID, source_id)
        if quantity:
            tick += b"\x29" + _DOUBLE.pack(quantity)
        out += b"\x0a" + _varint_bytes(len(tick)) + tick
    return bytes(out)


def _put_text(out: bytearray, tag: int, text: str) -> None:
    data = text.encode()
    out.append(tag)
    out += _varint_bytes(len(data))
    out += data


def _varint_bytes(value: int) -> bytes:
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)
