"""The analytics gRPC server's codec: grpclib's (strict, bounded: services/common/grpc_messages)
for every message but a tick batch, which tick_batch_wire decodes into plain tuples instead
of betterproto messages (why: see there). StreamTickBatches's handler gets lists of WireTick."""

from __future__ import annotations

from typing import Any

from grpclib import GRPCError, Status

from generated.grpc.capsure.analytics.v1 import StreamTickBatchesRequest
from services.common.grpc_messages import CheckedProtoCodec, MessageLimits, too_long
from services.common.protobuf_wire import MalformedMessage
from services.common.tick_batch_wire import (
    MAX_BATCH_MESSAGE_BYTES,
    MAX_TICKS_PER_BATCH,
    TooManyTicks,
    decode_tick_batch,
)

# A stream's bound (the contract states it); a batch's are the wire module's.
MAX_TICKS_PER_STREAM = 1_000_000


class TickBatchCodec(CheckedProtoCodec):
    def __init__(self, limits: MessageLimits) -> None:
        super().__init__(limits, undecodable=Status.INVALID_ARGUMENT)

    def decode(self, data: bytes, message_type: type) -> Any:
        if message_type is not StreamTickBatchesRequest:
            return super().decode(data, message_type)
        if len(data) > MAX_BATCH_MESSAGE_BYTES:
            raise too_long(len(data), MAX_BATCH_MESSAGE_BYTES)
        try:
            return decode_tick_batch(data, max_ticks=MAX_TICKS_PER_BATCH)
        except TooManyTicks as error:
            raise GRPCError(Status.RESOURCE_EXHAUSTED, str(error)) from None
        except MalformedMessage as error:
            raise GRPCError(
                Status.INVALID_ARGUMENT, f"not a valid StreamTickBatchesRequest: {error}"
            ) from None
