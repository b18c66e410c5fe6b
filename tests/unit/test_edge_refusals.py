"""The edge's own refusals as generated: a problem+json mapper per status it answers with, the
specific ones (Envoy's reason) first, one for any other error status last, none for gRPC, and
no body quoting the request. (tests/integration/test_edge_refusals_envoy.py runs them.)"""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import Any

import pytest

from mesh.envoy.edge import MAX_REQUEST_HEADERS_COUNT, MAX_REQUEST_HEADERS_KB
from mesh.envoy.gateway_problems import GATEWAY_FAILURES
from mesh.envoy.local_replies import not_grpc
from mesh.envoy.refusals import Refusal, edge_refusals, refusal_mappers
from tests.support.envoy_configs import edge_mappers

pytestmark = pytest.mark.unit

Config = dict[str, Any]
REFUSALS = edge_refusals(MAX_REQUEST_HEADERS_KB, MAX_REQUEST_HEADERS_COUNT)
# RFC 9110 renamed 413; Python 3.11's HTTPStatus still has the old phrase.
RFC_9110_TITLES = {413: "Content Too Large"}


def filters_of(mapper: Config) -> list[Config]:
    found = mapper["filter"]
    return found["and_filter"]["filters"] if "and_filter" in found else [found]


def status_of(mapper: Config) -> tuple[str, int]:
    comparison = filters_of(mapper)[0]["status_code_filter"]["comparison"]
    return comparison["op"], comparison["value"]["default_value"]


def test_the_refusals_follow_the_token_check_and_the_gateway_failures() -> None:
    mappers = edge_mappers()
    refusals = refusal_mappers(REFUSALS)
    assert mappers[-len(refusals) :] == refusals
    assert len(mappers) == 2 + len(GATEWAY_FAILURES) + len(refusals)


def test_every_status_the_edge_answers_by_itself_is_a_problem() -> None:
    statuses = {refusal.status for refusal in REFUSALS}
    # Measured: codec errors and policy refusals (400), no route (404), slow headers (408),
    # HTTP/1.0 (426), headers too large (431), a method no API serves (501).
    assert {400, 404, 408, 426, 431, 501} <= statuses
    # Other local replies Envoy or a filter may give: all named.
    assert {403, 413, 429, 500, 502, 503, 504, 507} <= statuses


def test_each_refusal_is_a_problem_with_its_status_and_reason_phrase() -> None:
    for refusal, mapper in zip(REFUSALS, refusal_mappers(REFUSALS)[:-1], strict=True):
        assert status_of(mapper) == ("EQ", refusal.status)
        assert "status_code" not in mapper  # Envoy's status stays
        body = mapper["body_format_override"]
        assert body["content_type"] == "application/problem+json"
        assert body["json_format"] == {
            "type": "about:blank",
            "title": refusal.title,
            "status": refusal.status,
            "detail": refusal.detail,
        }
        phrase = RFC_9110_TITLES.get(refusal.status) or HTTPStatus(refusal.status).phrase
        assert refusal.title == phrase


def test_a_refusal_with_envoys_reason_precedes_the_one_for_its_status() -> None:
    seen_generic: set[int] = set()
    for refusal in REFUSALS:
        if refusal.details is None:
            seen_generic.add(refusal.status)
        else:
            assert refusal.status not in seen_generic, refusal
    by_reason = {r.details: r for r in REFUSALS if r.details}
    assert by_reason["http1.unexpected_underscore"].status == 400
    assert "underscore" in by_reason["http1.unexpected_underscore"].detail
    assert by_reason["path_normalization_failed"].status == 400
    (underscore,) = [
        m
        for m in refusal_mappers(REFUSALS)
        if "http1.unexpected_underscore" in json.dumps(m["filter"])
    ]
    (reason,) = [f["extension_filter"] for f in filters_of(underscore) if "extension_filter" in f]
    assert reason["typed_config"]["expression"] == (
        "response.code_details == 'http1.unexpected_underscore'"
    )


def test_the_431_names_the_edges_limits() -> None:
    (too_large,) = [r for r in REFUSALS if r.status == 431]
    assert f"{MAX_REQUEST_HEADERS_KB} KiB" in too_large.detail
    assert f"{MAX_REQUEST_HEADERS_COUNT} headers" in too_large.detail


def test_a_503_says_when_to_come_back() -> None:
    for refusal, mapper in zip(REFUSALS, refusal_mappers(REFUSALS)[:-1], strict=True):
        headers = mapper.get("headers_to_add", [])
        if refusal.status in (429, 503):
            assert headers == [
                {
                    "header": {"key": "retry-after", "value": "1"},
                    "append_action": "OVERWRITE_IF_EXISTS_OR_ADD",
                }
            ]
        else:
            assert headers == []


def test_any_other_error_status_is_still_a_problem_last() -> None:
    fallback = refusal_mappers(REFUSALS)[-1]
    assert status_of(fallback) == ("GE", 400)
    body = fallback["body_format_override"]["json_format"]
    assert body["status"] == "%RESPONSE_CODE%"  # written as a number
    assert body["title"] == "Error"


def test_grpc_requests_keep_envoys_grpc_status() -> None:
    for mapper in refusal_mappers(REFUSALS):
        assert not_grpc() in filters_of(mapper)


def test_no_local_reply_quotes_the_request() -> None:
    """Only the reply's own status and jwt_authn's fixed message may be substituted: no
    %REQ(...)% (Host, path), no address, nothing the client chose."""
    allowed = {"%RESPONSE_CODE%", "%LOCAL_REPLY_BODY%"}
    for mapper in edge_mappers():
        text = json.dumps(mapper.get("body_format_override", {}))
        text += json.dumps(mapper.get("headers_to_add", []))
        assert set(re.findall(r"%[A-Z_]+(?:\([^)]*\))?%", text)) <= allowed, text


def test_a_refusal_cannot_hold_a_format_command() -> None:
    with pytest.raises(ValueError, match="%"):
        Refusal(400, "Bad Request", "escaped %2F")
