"""What the edge refuses by itself, as RFC 7807 problems: requests that are not valid HTTP or
break its rules (400: a malformed request line, header or framing, a header name with `_`, an
escaped slash in the path), headers too large (431), an old protocol (426), a method it does
not serve (501), no route (404), and any other status Envoy answers with.

Measured on Envoy 1.40 (tests/integration/test_edge_refusals_envoy.py): HTTP/1 codec errors
reach these mappers with their status and no request headers. Over HTTP/2 the codec refuses
before a request exists, with no response at all: it resets the stream (RST_STREAM) for a
header name with `_` or headers above the limits, and closes the connection for a malformed
header (upper case, a control character). Those cannot be answered with a problem.

Every detail is fixed text: nothing of the request (Host, path, headers) is echoed back."""

from __future__ import annotations

from dataclasses import dataclass

from mesh.envoy.common import Config
from mesh.envoy.local_replies import (
    Problem,
    all_of,
    details_are,
    not_grpc,
    problem_body,
    problem_mapper,
    status_is,
)

NOT_FOUND_DETAIL = "no route"


@dataclass(frozen=True)
class Refusal(Problem):
    details: str | None = None  # only replies with these response code details (Envoy's reason)


# What every listener of the mesh refuses by itself (mesh/envoy/listeners.py), answered alike
# by the edge and by a sidecar's inbound.
UNDERSCORE_REFUSAL = Refusal(
    400,
    "Bad Request",
    "Header names with an underscore are refused: use a hyphen.",
    details="http1.unexpected_underscore",
)
PATH_REFUSAL = Refusal(
    400,
    "Bad Request",
    "The path is refused: it has an encoded slash or backslash, or does not normalise.",
    details="path_normalization_failed",
)
LISTENER_REFUSALS = (UNDERSCORE_REFUSAL, PATH_REFUSAL)


def edge_refusals(max_request_headers_kb: int, max_request_headers_count: int) -> list[Refusal]:
    """Most specific first: a refusal naming Envoy's reason before the one for its status."""
    return [
        *LISTENER_REFUSALS,
        Refusal(
            400,
            "Bad Request",
            "The request is not valid HTTP: its request line, method, a header, its framing or "
            "its Host.",
        ),
        Refusal(403, "Forbidden", "The gateway refused this request."),
        Refusal(404, "Not Found", NOT_FOUND_DETAIL),
        Refusal(408, "Request Timeout", "The request did not arrive in time."),
        Refusal(413, "Content Too Large", "The request body is larger than the gateway accepts."),
        Refusal(426, "Upgrade Required", "Use HTTP/1.1 or HTTP/2."),
        Refusal(429, "Too Many Requests", "Too many requests. Retry later.", retry_after=True),
        Refusal(
            431,
            "Request Header Fields Too Large",
            f"The request's headers exceed the gateway's limits: {max_request_headers_kb} KiB, "
            f"{max_request_headers_count} headers.",
        ),
        Refusal(500, "Internal Server Error", "The gateway failed to handle this request."),
        Refusal(501, "Not Implemented", "The gateway does not serve this method."),
        Refusal(502, "Bad Gateway", "The service's answer could not be passed on."),
        Refusal(
            503,
            "Service Unavailable",
            "The service is unavailable. Retry later.",
            retry_after=True,
        ),
        Refusal(504, "Gateway Timeout", "The service did not answer in time."),
        Refusal(
            507,
            "Insufficient Storage",
            "The request body was too large to keep for a retry, and the first attempt failed.",
        ),
    ]


# Any status the table does not name: still a problem, with Envoy's status.
FALLBACK_TITLE = "Error"
FALLBACK_DETAIL = "The gateway could not serve this request."


def refusal_mappers(refusals: list[Refusal]) -> list[Config]:
    """local_reply_config mappers: one per refusal, then one for any other error status."""
    return [*(_mapper(refusal) for refusal in refusals), fallback_mapper()]


def listener_refusal_mappers() -> list[Config]:
    """local_reply_config mappers for what every listener refuses (a sidecar's inbound)."""
    return [_mapper(refusal) for refusal in LISTENER_REFUSALS]


def fallback_mapper() -> Config:
    return {
        "filter": all_of(status_is(400, "GE"), not_grpc()),
        "body_format_override": problem_body("%RESPONSE_CODE%", FALLBACK_TITLE, FALLBACK_DETAIL),
    }


def _mapper(refusal: Refusal) -> Config:
    reason = [] if refusal.details is None else [details_are(refusal.details)]
    return problem_mapper(refusal, status_is(refusal.status), *reason)
