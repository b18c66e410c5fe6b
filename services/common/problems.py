"""RFC 7807 problem+json answers for domain errors and for anything unexpected."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.problem import problem

from services.common.quoting import quoted, quoted_path

log = logging.getLogger(__name__)

# Details are built with quoted() and stay far below this; the cut is the backstop for a message
# that still carries client input whole (Connexion's 415 names the Content-Type it refused).
MAX_DETAIL_CHARACTERS = 1000

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
        return problem(status, title, bounded(str(error)), headers=headers)

    return handle


def contract_problem(request: ConnexionRequest, error: ProblemException) -> ConnexionResponse:
    """Connexion's own refusals (400 validation, 401, 415, ...): its handler logs `repr(error)`,
    which held whole request bodies; here one bounded line, and a bounded detail."""
    if error.detail is not None:
        error.detail = bounded(str(error.detail))
    log.log(
        logging.INFO if error.status < 500 else logging.ERROR,
        "%s %s on %s %s: %s",
        error.status,
        error.title,
        request.method,
        quoted_path(request.url.path),
        quoted(error.detail, MAX_DETAIL_CHARACTERS),
    )
    return error.to_problem()


def bounded(detail: str) -> str:
    if len(detail) <= MAX_DETAIL_CHARACTERS:
        return detail
    return f"{detail[:MAX_DETAIL_CHARACTERS]}… (cut)"


def unexpected_error(request: ConnexionRequest, error: Exception) -> ConnexionResponse:
    # The detail stays generic: internals must not leak to clients; the log has the trace.
    path = quoted_path(request.url.path)
    log.error("unhandled error on %s %s", request.method, path, exc_info=error)
    return problem(500, "Internal Server Error", "an unexpected error occurred")


def database_outage(request: ConnexionRequest, error: Exception) -> ConnexionResponse:
    # Expected while the database restarts: one line, no trace; clients retry after a second
    # (a POST safely only with an Idempotency-Key: its transaction rolled back with the rest).
    path = quoted_path(request.url.path)
    log.warning("database unavailable on %s %s: %r", request.method, path, error)
    return problem(
        503,
        TITLES[503],
        "the service's database does not answer; try again shortly",
        headers={"Retry-After": "1"},
    )


ErrorMap = Mapping[type[Exception], int]
