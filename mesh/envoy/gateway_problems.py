"""What the edge answers by itself when it cannot get an answer from a service (circuit
breaker open, no healthy instance, connection failures, timeouts): RFC 7807 problems with the
status Envoy chose, so a REST client parses every error alike. Envoy's own headers
(`x-envoy-overloaded`, ...) are kept. gRPC requests are left alone: Envoy answers them with a
gRPC status, and a JSON body would only end up in grpc-message."""

from __future__ import annotations

from dataclasses import dataclass

from mesh.envoy.common import Config

PROBLEM_CONTENT_TYPE = "application/problem+json"
RETRY_AFTER_SECONDS = 1


@dataclass(frozen=True)
class GatewayFailure:
    flags: tuple[str, ...]  # Envoy response flags (access-log short names)
    status: int
    title: str
    detail: str
    retry_after: bool


# Order matters: a reply with several flags takes the first mapper that matches.
GATEWAY_FAILURES = (
    GatewayFailure(
        ("UO",),
        503,
        "Service Unavailable",
        "Too many requests in flight to this service: the gateway's circuit breaker refused "
        "this one. Retry later.",
        retry_after=True,
    ),
    GatewayFailure(
        ("UH", "NC"),
        503,
        "Service Unavailable",
        "No healthy instance of this service is available. Retry later.",
        retry_after=True,
    ),
    GatewayFailure(
        ("UF", "UC", "URX"),
        503,
        "Service Unavailable",
        "The service could not be reached. Retry later.",
        retry_after=True,
    ),
    GatewayFailure(
        ("UT",), 504, "Gateway Timeout", "The service did not answer in time.", retry_after=False
    ),
)


def gateway_problem_mappers() -> list[Config]:
    """local_reply_config mappers, one per kind of failure."""
    return [_mapper(failure) for failure in GATEWAY_FAILURES]


def problem_body(status: int, title: str, detail: str) -> Config:
    """A local reply's body as an RFC 7807 problem (json_format: Envoy escapes `detail`, which
    may be a command such as %LOCAL_REPLY_BODY%, as a JSON string)."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return {"json_format": body, "content_type": PROBLEM_CONTENT_TYPE}


def _mapper(failure: GatewayFailure) -> Config:
    mapper: Config = {
        "filter": {
            "and_filter": {
                "filters": [
                    {"response_flag_filter": {"flags": list(failure.flags)}},
                    {"header_filter": {"header": _not_grpc()}},
                ]
            }
        },
        "body_format_override": problem_body(failure.status, failure.title, failure.detail),
    }
    if failure.retry_after:
        retry_after = {"key": "retry-after", "value": str(RETRY_AFTER_SECONDS)}
        mapper["headers_to_add"] = [
            {"header": retry_after, "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"}
        ]
    return mapper


def _not_grpc() -> Config:
    """Matches a request whose content-type is not gRPC's (or that has none)."""
    return {
        "name": "content-type",
        "string_match": {"prefix": "application/grpc"},
        "invert_match": True,
        # Else an absent header matches nothing, inverted or not (GETs carry no content-type).
        "treat_missing_header_as_empty": True,
    }
