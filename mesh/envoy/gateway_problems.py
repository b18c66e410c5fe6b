"""What the edge answers by itself when it cannot get an answer from a service (circuit
breaker open, no healthy instance, connection failures, timeouts): RFC 7807 problems with the
status Envoy chose, so a REST client parses every error alike. Envoy's own headers
(`x-envoy-overloaded`, ...) are kept. gRPC requests keep Envoy's gRPC status."""

from __future__ import annotations

from dataclasses import dataclass

from mesh.envoy.common import Config
from mesh.envoy.local_replies import all_of, not_grpc, overwrite, problem_body

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


def _mapper(failure: GatewayFailure) -> Config:
    mapper: Config = {
        "filter": all_of({"response_flag_filter": {"flags": list(failure.flags)}}, not_grpc()),
        "body_format_override": problem_body(failure.status, failure.title, failure.detail),
    }
    if failure.retry_after:
        mapper["headers_to_add"] = [overwrite("retry-after", str(RETRY_AFTER_SECONDS))]
    return mapper
