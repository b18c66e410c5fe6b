"""StreamTickBatches against a running analytics instance, from a stock grpcio client with
message classes built by Google's protobuf runtime from the contract: what it stores (counted
by the REST stats), what it refuses and how (each refusal names the batch; a batch is stored
whole or not at all), and its bounds: ticks per batch, bytes per batch (refused from the
length prefix, like any message over its method's limit), while the instance keeps serving."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import grpc
import httpx
import pytest

from mesh.processes import AppProcess
from services.common.grpc_messages import too_long
from services.common.market_data import MAX_TICK_MESSAGE_BYTES
from services.common.tick_batch_wire import MAX_BATCH_MESSAGE_BYTES, MAX_TICKS_PER_BATCH

pytestmark = pytest.mark.contract

V1 = "capsure.analytics.v1.MarketDataService"


def now_millis() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


def count(analytics: AppProcess, symbol: str) -> int:
    reply = httpx.get(f"{analytics.url}/api/analytics/assets/{symbol}/stats", timeout=5)
    return reply.json()["count"] if reply.status_code == 200 else 0


@pytest.fixture(scope="module")
def stream_batches(channel, messages):
    reply_type = messages["capsure.analytics.v1.StreamTickBatchesResponse"]
    call = channel.stream_unary(
        f"/{V1}/StreamTickBatches",
        request_serializer=lambda m: m if isinstance(m, bytes) else m.SerializeToString(),
        response_deserializer=reply_type.FromString,
    )
    return lambda batches: call(iter(batches), timeout=30)


@pytest.fixture(scope="module")
def batch_of(messages):
    tick, batch = (
        messages["capsure.analytics.v1.Tick"],
        messages["capsure.analytics.v1.StreamTickBatchesRequest"],
    )

    def make(symbol: str, ids: Iterable[str], **fields):
        ticks = [
            tick(
                asset_symbol=symbol,
                price=fields.get("price", 1.0 + i),
                timestamp=fields.get("timestamp", now_millis()),
                source_id=source_id,
                quantity=fields.get("quantity", 0.0),
            )
            for i, source_id in enumerate(ids)
        ]
        return batch(ticks=ticks)

    return make


def refused(stream_batches, batches) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as error:
        stream_batches(batches)
    return error.value


def test_batches_are_stored_and_duplicates_kept_once(stream_batches, batch_of, analytics):
    first = batch_of("BATCH", [f"b-{i}" for i in range(MAX_TICKS_PER_BATCH)])
    again = batch_of("BATCH", ["b-0", "b-1", "new-1", "new-1", ""])
    reply = stream_batches([first, again])
    assert (reply.batches, reply.ticks) == (2, MAX_TICKS_PER_BATCH + 5)
    assert (reply.stored, reply.duplicates) == (MAX_TICKS_PER_BATCH + 2, 3)
    assert count(analytics, "BATCH") == MAX_TICKS_PER_BATCH + 2


def test_a_bad_tick_refuses_its_batch_whole_and_names_it(stream_batches, batch_of, analytics):
    good = batch_of("WHOLE", ["w-1", "w-2"])
    bad = batch_of("WHOLE", ["w-3", "w-4"])
    bad.ticks[1].price = -1.0
    error = refused(stream_batches, [good, bad, batch_of("WHOLE", ["w-5"])])
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("batch 1: tick 1: price -1.0 must be")
    assert "the 1 before it were (2 ticks, 2 new)" in error.details()
    assert count(analytics, "WHOLE") == 2  # w-3 (valid) was not stored either


def test_too_many_ticks_in_a_batch_is_resource_exhausted(stream_batches, batch_of, analytics):
    over = batch_of("MANY", [f"m-{i}" for i in range(MAX_TICKS_PER_BATCH + 1)])
    error = refused(stream_batches, [batch_of("MANY", ["m-first"]), over])
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error.details().startswith(f"batch 1: a batch holds more than {MAX_TICKS_PER_BATCH}")
    assert count(analytics, "MANY") == 1


def test_a_batch_over_its_byte_limit_is_refused_from_its_length(
    stream_batches, batch_of, analytics
):
    huge = (
        batch_of("HUGE", ["h-1"]).SerializeToString()
        + b"\x3a"
        + b"\xff\xff\x3f"
        + b"x" * (MAX_BATCH_MESSAGE_BYTES)
    )  # an unknown field 7 holding a megabyte
    error = refused(stream_batches, [batch_of("HUGE", ["h-0"]), huge])
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error.details() == (
        f"batch 1: {too_long(len(huge), MAX_BATCH_MESSAGE_BYTES).message}; this batch and any "
        "after it were not stored, the 1 before it were (1 ticks, 1 new)"
    )
    assert count(analytics, "HUGE") == 1


def test_a_batch_may_be_longer_than_one_tick_message_may(stream_batches, batch_of, analytics):
    """The batch method's own limit: the 4 KiB of every other method does not apply."""
    batch = batch_of("LONG", [f"l-{i}" for i in range(200)])
    assert batch.ByteSize() > MAX_TICK_MESSAGE_BYTES
    assert stream_batches([batch]).stored == 200


def test_undecodable_bytes_are_invalid_argument(stream_batches, batch_of, analytics):
    error = refused(stream_batches, [batch_of("UNDEC", ["u-1"]), b"\x0a\x05ab"])
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("batch 1: not a valid StreamTickBatchesRequest: tick 0")
    assert count(analytics, "UNDEC") == 1
    # Still serving.
    assert stream_batches([batch_of("UNDEC", ["u-2"])]).stored == 1


def test_the_contract_s_bytes_are_what_betterproto_writes(messages, batch_of):
    from generated.grpc.capsure.analytics import v1

    theirs = batch_of("WIRE", ["x-1", "x-2"], price=2.5, timestamp=7, quantity=0.5)
    ours = v1.StreamTickBatchesRequest(
        ticks=[
            v1.Tick(asset_symbol="WIRE", price=2.5, timestamp=7, source_id=s, quantity=0.5)
            for s in ("x-1", "x-2")
        ]
    )
    assert bytes(ours) == theirs.SerializeToString()
