"""Is this byte string a well-formed protobuf message of a betterproto type? Checked before
betterproto reads it, because betterproto 2.0.0b7 is lax: it takes a length-delimited field
cut short as whatever bytes are left, a group or a reserved wire type as None, and a double
sent as a varint as an int, so a truncated or mangled message could become a valid tick.

The check walks the top level only (the market data messages have no sub-messages): every
tag names a field number > 0 and a wire type protobuf has (groups are obsolete, refused),
every varint ends within 10 bytes, every length fits the bytes left, and a field the type
declares comes with its type's wire type (packed, length-delimited, only where it is a repeated
number field). Unknown fields are skipped, as protobuf does."""

from __future__ import annotations

import dataclasses
import typing
from functools import cache
from typing import Any

import betterproto

VARINT, FIXED64, LENGTH_DELIMITED, FIXED32 = 0, 1, 2, 5
MAX_VARINT_BYTES = 10
_FIXED_SIZE = {FIXED64: 8, FIXED32: 4}
_WIRE_TYPE_NAMES = {
    VARINT: "varint",
    FIXED64: "64-bit",
    LENGTH_DELIMITED: "length-delimited",
    FIXED32: "32-bit",
}


class MalformedMessage(ValueError):
    """The bytes are not a protobuf message of the expected type; says where and why."""


def check_wire_format(data: bytes, message_type: type) -> None:
    """Raise MalformedMessage unless `data` is well-formed for `message_type`."""
    expected = _wire_types_by_field(message_type)
    position = 0
    while position < len(data):
        tag, position = _varint(data, position)
        number, wire_type = tag >> 3, tag & 7
        if number == 0:
            raise MalformedMessage(f"field number 0 at byte {position}")
        if wire_type not in _WIRE_TYPE_NAMES:
            raise MalformedMessage(f"field {number} has wire type {wire_type}")
        allowed = expected.get(number, ())
        if allowed and wire_type not in allowed:
            raise MalformedMessage(
                f"field {number} must be {_WIRE_TYPE_NAMES[allowed[0]]}, "
                f"not {_WIRE_TYPE_NAMES[wire_type]}"
            )
        position = _skip_value(data, position, number, wire_type)


def _skip_value(data: bytes, position: int, number: int, wire_type: int) -> int:
    if wire_type == VARINT:
        return _varint(data, position)[1]
    if wire_type == LENGTH_DELIMITED:
        length, position = _varint(data, position)
        size = length
    else:
        size = _FIXED_SIZE[wire_type]
    if position + size > len(data):
        raise MalformedMessage(f"field {number} needs {size} bytes, {len(data) - position} left")
    return position + size


def _varint(data: bytes, position: int) -> tuple[int, int]:
    value = 0
    for shift in range(0, 7 * MAX_VARINT_BYTES, 7):
        if position >= len(data):
            raise MalformedMessage("a varint runs past the end of the message")
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, position
    raise MalformedMessage(f"a varint is longer than {MAX_VARINT_BYTES} bytes")


@cache
def _wire_types_by_field(message_type: type) -> dict[int, tuple[int, ...]]:
    """The wire types each declared field may come with; empty for a type that is not a
    betterproto message (grpclib's health messages: their own runtime parses them strictly)."""
    if not (isinstance(message_type, type) and issubclass(message_type, betterproto.Message)):
        return {}
    hints = typing.get_type_hints(message_type)
    return {
        meta.number: _wire_types(
            meta.proto_type, repeated=typing.get_origin(hints[field.name]) is list
        )
        for field in dataclasses.fields(message_type)
        if (meta := _betterproto_metadata(field)) is not None
    }


def _betterproto_metadata(field: dataclasses.Field[Any]) -> betterproto.FieldMetadata | None:
    return field.metadata.get("betterproto")


def _wire_types(proto_type: str, *, repeated: bool) -> tuple[int, ...]:
    """The field's own wire type first."""
    if proto_type in betterproto.WIRE_LEN_DELIM_TYPES:
        return (LENGTH_DELIMITED,)
    if proto_type in betterproto.WIRE_FIXED_64_TYPES:
        own = FIXED64
    elif proto_type in betterproto.WIRE_FIXED_32_TYPES:
        own = FIXED32
    else:
        own = VARINT
    # A repeated number field may also come packed, as one length-delimited field. A single
    # one may not: betterproto would read it as a list (a price of [1.0, 2.0]).
    return (own, LENGTH_DELIMITED) if repeated else (own,)
