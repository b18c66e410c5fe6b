"""Every app logs JSON lines: one object per record, naming the service and instance that wrote
it and the request it was written for, so one request can be followed through every process's
log (`make logs SERVICE=…` merges one service's instances; Envoys log the same ids).

Which request: Envoy's `x-request-id` (the edge makes one per client request, and every hop
forwards it) and the trace id of a W3C `traceparent`, read by `RequestLogContext` from the
request's headers. Both come from outside the process, so they are taken only in their own
shapes (anything else is left out, never echoed), and a message is cut at MAX_MESSAGE_CHARS."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson

# What one record may write of its message: a record is one line, and a message can carry
# what a client sent (callers quote it through quoting.quoted, which bounds it already).
MAX_MESSAGE_CHARS = 8192

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
TRACE_ID: ContextVar[str | None] = ContextVar("trace_id", default=None)

# Envoy makes UUIDs; a caller's own id is kept when it has this shape, else left out.
_REQUEST_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")
# version-trace_id-parent_id-flags (W3C Trace Context, level 1); an all-zero trace id is invalid.
_TRACEPARENT = re.compile(rb"[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}")
_NO_TRACE = b"0" * 32


class JsonLines(logging.Formatter):
    """A record as one JSON object: time (UTC, ISO 8601), level, logger, service, instance,
    message; request_id and trace_id when the record was written for a request; the
    exception's traceback when there is one."""

    def __init__(self, service: str, instance: str) -> None:
        super().__init__()
        self._service, self._instance = service, instance

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if len(message) > MAX_MESSAGE_CHARS:
            message = f"{message[:MAX_MESSAGE_CHARS]}… ({len(message)} characters)"
        line: dict[str, Any] = {
            # As Envoy writes its lines' (mesh/envoy/access_logs.py): merged, they sort as text.
            "time": f"{datetime.fromtimestamp(record.created, UTC):%Y-%m-%dT%H:%M:%S}"
            f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "service": self._service,
            "instance": self._instance,
            "message": message,
        }
        if (request_id := REQUEST_ID.get()) is not None:
            line["request_id"] = request_id
        if (trace_id := TRACE_ID.get()) is not None:
            line["trace_id"] = trace_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(line).decode()


def configure_json_logging(level: str, service: str, instance: str) -> None:
    """The root logger writes JSON lines to stderr (the launcher's log file of the process);
    every other logger (uvicorn's, Tortoise's, …) propagates to it."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines(service, instance))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Python's warnings too (they would write text to stderr).
    logging.captureWarnings(True)
    # One line per outgoing call is noise at INFO; failures surface as domain errors.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def request_id_of(value: bytes) -> str | None:
    return value.decode("ascii") if _REQUEST_ID.fullmatch(value) else None


def trace_id_of(traceparent: bytes) -> str | None:
    matched = _TRACEPARENT.fullmatch(traceparent)
    if matched is None or matched.group(1) == _NO_TRACE:
        return None
    return matched.group(1).decode("ascii")


def ids_of(headers: Iterable[tuple[bytes, bytes]]) -> tuple[str | None, str | None]:
    """(request id, trace id) of a request's headers (names in lower case), each None when
    absent or of another shape; the last of a repeated header counts."""
    request_id = trace_id = None
    for name, value in headers:
        if name == b"x-request-id":
            request_id = request_id_of(value)
        elif name == b"traceparent":
            trace_id = trace_id_of(value)
    return request_id, trace_id


@contextmanager
def logging_for(request_id: str | None, trace_id: str | None) -> Iterator[None]:
    """What is logged inside carries these ids (a request's handling; one task)."""
    request_token, trace_token = REQUEST_ID.set(request_id), TRACE_ID.set(trace_id)
    try:
        yield
    finally:
        REQUEST_ID.reset(request_token)
        TRACE_ID.reset(trace_token)


class RequestLogContext:
    """ASGI middleware: what the app logs while serving a request carries the request's ids."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with logging_for(*ids_of(scope["headers"])):
            await self.app(scope, receive, send)
