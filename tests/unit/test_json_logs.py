"""services/common/json_logs.py: one JSON object per line, naming the service, the instance and
the request (Envoy's x-request-id, the W3C trace id); ids from outside only in their own shape,
messages bounded."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest

from services.common.json_logs import (
    MAX_MESSAGE_CHARS,
    RequestLogContext,
    configure_json_logging,
)
from tests.support.json_log_capture import captured_json_lines

pytestmark = pytest.mark.unit

REQUEST_ID = "5f0c6a43-3b0e-4d36-9a44-07ad7e8c2e61"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    with captured_json_lines("test.json_logs", "nft", "nft-2") as stream:
        yield stream


def records(stream: io.StringIO) -> list[dict[str, Any]]:
    text = stream.getvalue()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


async def serve_one(headers: list[tuple[bytes, bytes]]) -> None:
    """A request through RequestLogContext to an app that logs while serving it."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        logging.getLogger("test.json_logs").info("serving %s", scope["path"])

    scope = {"type": "http", "path": "/api/nfts", "headers": headers}
    await RequestLogContext(app)(scope, None, None)


async def test_a_record_written_for_a_request_names_the_request(lines: io.StringIO) -> None:
    await serve_one(
        [(b"x-request-id", REQUEST_ID.encode()), (b"traceparent", TRACEPARENT.encode())]
    )
    logging.getLogger("test.json_logs").warning("after it")
    served, after = records(lines)
    assert served == {
        "time": served["time"],
        "level": "info",
        "logger": "test.json_logs",
        "service": "nft",
        "instance": "nft-2",
        "message": "serving /api/nfts",
        "request_id": REQUEST_ID,
        "trace_id": TRACE_ID,
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", served["time"])
    # Outside the request: no ids (the context was put back).
    assert after["level"] == "warning" and "request_id" not in after and "trace_id" not in after


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (b"x-request-id", b'x"\n{"level": "critical"}'),
        (b"x-request-id", b"a" * 65),
        (b"x-request-id", b""),
        (b"traceparent", b"00-" + b"0" * 32 + b"-00f067aa0ba902b7-01"),  # all-zero: invalid
        (b"traceparent", TRACEPARENT.upper().encode()),
        (b"traceparent", TRACEPARENT.encode() + b"\n"),
        (b"traceparent", b"00-" + TRACE_ID.encode() + b"-xyz-01"),
    ],
)
async def test_ids_of_another_shape_are_left_out(
    lines: io.StringIO, name: bytes, value: bytes
) -> None:
    await serve_one([(name, value)])
    (served,) = records(lines)
    assert "request_id" not in served and "trace_id" not in served


def test_a_huge_message_is_cut_and_says_how_long_it_was(lines: io.StringIO) -> None:
    logging.getLogger("test.json_logs").info("x" * 1_000_000)
    (record,) = records(lines)
    assert record["message"] == "x" * MAX_MESSAGE_CHARS + "… (1000000 characters)"


def test_a_traceback_stays_on_the_records_line(lines: io.StringIO) -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("test.json_logs").exception("failed")
    (record,) = records(lines)
    assert record["message"] == "failed" and record["level"] == "error"
    assert record["exception"].startswith("Traceback") and "ValueError: boom" in record["exception"]


def test_every_logger_writes_through_the_roots_json_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_json_logging("info", "trading", "trading-1")
        # A logger nobody gave a handler (uvicorn's, under serve()'s log_config=None).
        logging.getLogger("propagating.to.root").info("started")
        logging.getLogger("httpx").info("a call")  # quietened below WARNING
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        logging.captureWarnings(False)
    (line,) = capsys.readouterr().err.splitlines()
    record = json.loads(line)
    assert (record["logger"], record["service"], record["instance"], record["message"]) == (
        "propagating.to.root",
        "trading",
        "trading-1",
        "started",
    )
