"""The edge's own failures (circuit breaker, no healthy host, timeouts) are problem+json for
REST clients and left as gRPC statuses for gRPC clients."""

from __future__ import annotations

from mesh.envoy.gateway_problems import GATEWAY_FAILURES, gateway_problem_mappers
from tests.support.envoy_configs import edge_mappers


def flags_of(mapper: dict) -> list[str]:
    (flags, _) = mapper["filter"]["and_filter"]["filters"]
    return flags["response_flag_filter"]["flags"]


def test_the_edge_answers_its_own_failures_after_the_token_refusals() -> None:
    mappers = edge_mappers()
    # The token refusals come first: a 401 is never mistaken for a gateway failure; the
    # refusals by status follow, so a flagged 503 gets its own detail and Retry-After.
    assert mappers[2 : 2 + len(GATEWAY_FAILURES)] == gateway_problem_mappers()
    assert all("jwt_authn" in str(m["filter"]) for m in mappers[:2])


def test_an_open_circuit_is_a_503_problem_with_retry_after() -> None:
    (overflow,) = [m for m in gateway_problem_mappers() if flags_of(m) == ["UO"]]
    body = overflow["body_format_override"]
    assert body["content_type"] == "application/problem+json"
    assert body["json_format"]["status"] == 503
    assert body["json_format"]["title"] == "Service Unavailable"
    assert "circuit breaker" in body["json_format"]["detail"]
    assert overflow["headers_to_add"][0]["header"] == {"key": "retry-after", "value": "1"}
    assert "status_code" not in overflow  # Envoy's status stays


def test_every_upstream_failure_flag_is_mapped_once_with_a_matching_status() -> None:
    flags = [flag for m in gateway_problem_mappers() for flag in flags_of(m)]
    assert (
        sorted(flags) == sorted(set(flags)) == sorted(["UO", "UH", "NC", "UF", "UC", "URX", "UT"])
    )
    for mapper in gateway_problem_mappers():
        status = mapper["body_format_override"]["json_format"]["status"]
        assert status == (504 if flags_of(mapper) == ["UT"] else 503)


def test_grpc_requests_keep_envoys_grpc_status() -> None:
    for mapper in gateway_problem_mappers():
        (_, header) = mapper["filter"]["and_filter"]["filters"]
        assert header["header_filter"]["header"] == {
            "name": "content-type",
            "string_match": {"prefix": "application/grpc"},
            "invert_match": True,
            "treat_missing_header_as_empty": True,
        }
