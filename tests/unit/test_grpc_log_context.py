"""services/common/grpc_log_context.py: a gRPC method logs with its call's request and trace
ids (from the call's metadata), as a REST handler does; other shapes are left out."""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace
from typing import Any

import pytest
from grpclib.const import Cardinality, Handler
from multidict import MultiDict

from services.common.grpc_log_context import logging_call_ids
from services.common.json_logs import REQUEST_ID
from tests.support.json_log_capture import captured_json_lines

pytestmark = pytest.mark.unit

REQUEST = "5f0c6a43-3b0e-4d36-9a44-07ad7e8c2e61"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


class LoggingServable:
    """One method that logs while it handles a call."""

    def __mapping__(self) -> dict[str, Handler]:
        async def ingest(stream: Any) -> None:
            logging.getLogger("test.grpc_log_context").info("ingesting")

        return {"/m.S/Ingest": Handler(ingest, Cardinality.UNARY_UNARY, None, None)}


async def call_with(metadata: MultiDict[Any]) -> dict[str, Any]:
    with captured_json_lines("test.grpc_log_context", "analytics", "analytics-1") as stream:
        method = logging_call_ids(LoggingServable()).__mapping__()["/m.S/Ingest"].func
        await method(SimpleNamespace(metadata=metadata))
    return json.loads(stream.getvalue())


async def test_a_calls_lines_carry_its_ids() -> None:
    metadata = MultiDict(
        [("x-request-id", REQUEST), ("traceparent", f"00-{TRACE}-00f067aa0ba902b7-01")]
    )
    line = await call_with(metadata)
    assert (line["request_id"], line["trace_id"], line["message"]) == (REQUEST, TRACE, "ingesting")
    assert REQUEST_ID.get() is None  # put back after the call


@pytest.mark.parametrize(
    "metadata",
    [
        MultiDict(),
        MultiDict([("x-request-id", 'a"\n{}'), ("traceparent", "00-zz-00f067aa0ba902b7-01")]),
        MultiDict([("x-request-id-bin", b"\x00" * 8)]),
    ],
)
async def test_no_ids_or_ids_of_another_shape_are_left_out(metadata: MultiDict[Any]) -> None:
    line = await call_with(metadata)
    assert "request_id" not in line and "trace_id" not in line
