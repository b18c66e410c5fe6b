"""What a gRPC message may be, on both ends of a call: at most so many bytes, and well-formed
protobuf. grpclib 0.4.9 has no message size limit (vmagamedov/grpclib#195, open): it read a
message of any length whole (50 MB was accepted) and answered undecodable bytes UNKNOWN.

- Over the limit is RESOURCE_EXHAUSTED, as grpc answers (`received message larger than
  max`): clients and proxies know it, and trading's relay retries it instead of taking it for
  a tick refused as invalid. A server refuses from the 5-byte length prefix, before it reads
  the body (`refusing_long_requests`); the codec bounds the rest (a client's responses, and
  every message sent).
- Undecodable bytes or a string that is not UTF-8: INVALID_ARGUMENT on a server (the
  client's fault), INTERNAL on a client (the server's, as grpcio says)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from grpclib import GRPCError, Status
from grpclib.encoding.proto import ProtoCodec
from grpclib.server import Stream

from services.common.grpc_servables import Method, Servable
from services.common.protobuf_wire import MalformedMessage, check_wire_format

GRPC_PREFIX_BYTES = 5  # before each message: a compressed flag and the length (4 bytes)


@dataclass(frozen=True)
class MessageLimits:
    max_receive_bytes: int
    max_send_bytes: int


class CheckedProtoCodec(ProtoCodec):
    """grpclib's protobuf codec with size limits and strict decoding. `undecodable` is the
    status of bytes that do not decode: the peer's fault, told in its words."""

    def __init__(self, limits: MessageLimits, *, undecodable: Status) -> None:
        self._limits = limits
        self._undecodable = undecodable

    def encode(self, message: Any, message_type: type) -> bytes:
        data = super().encode(message, message_type)
        if len(data) > self._limits.max_send_bytes:
            raise GRPCError(
                Status.RESOURCE_EXHAUSTED,
                f"a {message_type.__name__} of {len(data)} bytes is over the limit of "
                f"{self._limits.max_send_bytes} bytes to send",
            )
        return data

    def decode(self, data: bytes, message_type: type) -> Any:
        if len(data) > self._limits.max_receive_bytes:
            raise too_long(len(data), self._limits.max_receive_bytes)
        try:
            check_wire_format(data, message_type)
            return super().decode(data, message_type)
        except UnicodeDecodeError as error:
            reason = "a string field is not valid UTF-8"
            raise GRPCError(self._undecodable, _not_a(message_type, reason)) from error
        except MalformedMessage as error:
            raise GRPCError(self._undecodable, _not_a(message_type, str(error))) from error
        # betterproto raises what its parsing meets (ValueError, struct.error, KeyError ...)
        # and protobuf its DecodeError: all of them mean these bytes are not such a message.
        except Exception as error:
            raise GRPCError(self._undecodable, _not_a(message_type, "undecodable")) from error


def server_codec(limits: MessageLimits) -> CheckedProtoCodec:
    return CheckedProtoCodec(limits, undecodable=Status.INVALID_ARGUMENT)


def client_codec(limits: MessageLimits) -> CheckedProtoCodec:
    return CheckedProtoCodec(limits, undecodable=Status.INTERNAL)


def too_long(size: int, limit: int) -> GRPCError:
    return GRPCError(
        Status.RESOURCE_EXHAUSTED,
        f"a message of {size} bytes is over the limit of {limit} bytes",
    )


def _not_a(message_type: type, reason: str) -> str:
    return f"not a valid {message_type.__name__}: {reason}"


def refusing_long_requests(
    servable: Any, max_bytes: int, per_method: Mapping[str, int] | None = None
) -> Servable:
    """`servable` (a grpclib handler: a servicer, Health) whose methods refuse a request message
    longer than `max_bytes` from its length prefix, before reading a byte of its body.
    `per_method`: another limit for some methods, by path (a batch method's larger messages)."""
    limits = dict(per_method or {})
    if min([max_bytes, *limits.values()]) < GRPC_PREFIX_BYTES:
        raise ValueError(f"a limit below {GRPC_PREFIX_BYTES} bytes would refuse every prefix")
    return Servable(
        {
            path: handler._replace(func=_refusing_long(handler.func, limits.get(path, max_bytes)))
            for path, handler in servable.__mapping__().items()
        }
    )


def _refusing_long(method: Method, max_bytes: int) -> Method:
    async def handle(stream: Stream[Any, Any]) -> None:
        _bound_reads(stream, max_bytes)
        await method(stream)

    return handle


def _bound_reads(stream: Stream[Any, Any], max_bytes: int) -> None:
    """grpclib reads each message as `recv_data(5)` (the compressed flag and the length) and
    then `recv_data(length)`: a read longer than the limit is the body of a message over it.
    The HTTP/2 stream is private to grpclib (`_stream`), hence the check at its one reader."""
    h2_stream = stream._stream
    read = h2_stream.recv_data

    async def recv_data(size: int) -> bytes:
        if size > max_bytes:
            raise too_long(size, max_bytes)
        return await read(size)

    h2_stream.recv_data = recv_data  # type: ignore[method-assign]
