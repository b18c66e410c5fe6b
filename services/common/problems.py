"""RFC 7807 problem+json answers for domain errors and for anything unexpected."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.problem import problem

log = logging.getLogger(__name__)

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

ErrorHandler = Callable[[ConnexionRequest, Exception], ConnexionResponse]


def problem_for(status: int) -> ErrorHandler:
    """An error handler answering `status` with the exception's message as detail."""

    def handle(request: ConnexionRequest, error: Exception) -> ConnexionResponse:
        # An error may say when to come back (a throttled login); outages suggest a second.
        retry_after = getattr(error, "retry_after_seconds", None)
        if retry_after is None and status in (503, 504):
            retry_after = 1
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        # An error may name itself more precisely than its status (422: an unknown receiver).
        title = getattr(error, "title", None) or TITLES.get(status, "Error")
        return problem(status, title, str(error), headers=headers)

    return handle


def unexpected_error(request: ConnexionRequest, error: Exception) -> ConnexionResponse:
    # The detail stays generic: internals must not leak to clients; the log has the trace.
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(500, "Internal Server Error", "an unexpected error occurred")


def database_outage(request: ConnexionRequest, error: Exception) -> ConnexionResponse:
    # Expected while the database restarts: one line, no trace; clients retry after a second
    # (a POST safely only with an Idempotency-Key: its transaction rolled back with the rest).
    log.warning("database unavailable on %s %s: %r", request.method, request.url.path, error)
    return problem(
        503,
        TITLES[503],
        "the service's database does not answer; try again shortly",
        headers={"Retry-After": "1"},
    )


ErrorMap = Mapping[type[Exception], int]
