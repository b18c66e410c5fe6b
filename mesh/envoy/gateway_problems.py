"""What the edge answers by itself when it cannot get an answer from a service (circuit
breaker open, no healthy instance, connection failures, timeouts): RFC 7807 problems with the
status Envoy chose, so a REST client parses every error alike. Envoy's own headers
(`x-envoy-overloaded`, ...) are kept. gRPC requests keep Envoy's gRPC status."""

from __future__ import annotations

from mesh.envoy.common import Config
from mesh.envoy.local_replies import Problem, problem_mapper

# Envoy response flags (access-log short names) -> the problem. Order matters: a reply with
# several flags takes the first mapper that matches.
GATEWAY_FAILURES: dict[tuple[str, ...], Problem] = {
    ("UO",): Problem(
        503,
        "Service Unavailable",
        "Too many requests in flight to this service: the gateway's circuit breaker refused "
        "this one. Retry later.",
        retry_after=True,
    ),
    ("UH", "NC"): Problem(
        503,
        "Service Unavailable",
        "No healthy instance of this service is available. Retry later.",
        retry_after=True,
    ),
    ("UF", "UC", "URX"): Problem(
        503,
        "Service Unavailable",
        "The service could not be reached. Retry later.",
        retry_after=True,
    ),
    ("UT",): Problem(504, "Gateway Timeout", "The service did not answer in time."),
}


def gateway_problem_mappers() -> list[Config]:
    """local_reply_config mappers, one per kind of failure."""
    return [
        problem_mapper(problem, {"response_flag_filter": {"flags": list(flags)}})
        for flags, problem in GATEWAY_FAILURES.items()
    ]
