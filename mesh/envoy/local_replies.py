"""Building blocks of `local_reply_config` mappers: what Envoy answers by itself (its own
refusals, the token check's, its failures to reach a service) rewritten as RFC 7807 problems.

A mapper's filter is an access-log filter evaluated on the local reply; the first mapper whose
filter matches rewrites it. Measured on Envoy 1.40: every local reply of an HTTP connection
manager goes through its mappers, HTTP/1 codec errors (a bad request line, header or method,
headers too large) and direct responses included. gRPC requests are left alone: Envoy answers
them with a gRPC status, and a JSON body would only end up in grpc-message."""

from __future__ import annotations

from dataclasses import dataclass

from mesh.envoy.common import Config, typed

PROBLEM_CONTENT_TYPE = "application/problem+json"
CEL_FILTER = "envoy.access_loggers.extension_filters.cel"
CEL_FILTER_CONFIG = "envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter"
RETRY_AFTER_SECONDS = 1
# The local reply's own text as a problem's detail: for a filter whose words are fixed and name
# nothing of the request (jwt_authn's "Jwt is missing" ...).
LOCAL_REPLY_BODY = "%LOCAL_REPLY_BODY%"


@dataclass(frozen=True)
class Problem:
    """What one kind of local reply becomes."""

    status: int
    title: str  # the status's reason phrase (RFC 9110), as about:blank problems want
    detail: str  # fixed text, or LOCAL_REPLY_BODY
    retry_after: bool = False  # Retry-After: RETRY_AFTER_SECONDS

    def __post_init__(self) -> None:
        # Envoy reads a body format's % as the start of a command: fixed text has none.
        if "%" in self.title or ("%" in self.detail and self.detail != LOCAL_REPLY_BODY):
            raise ValueError(f"a problem's text cannot hold '%': {self.detail!r}")


def problem_mapper(problem: Problem, *filters: Config) -> Config:
    """A mapper answering the local replies all of `filters` match with `problem`, Envoy's
    status kept; gRPC requests keep Envoy's gRPC status (a JSON body would only end up in
    grpc-message)."""
    mapper: Config = {
        "filter": all_of(*filters, not_grpc()),
        "body_format_override": problem_body(problem.status, problem.title, problem.detail),
    }
    if problem.retry_after:
        mapper["headers_to_add"] = [overwrite("retry-after", str(RETRY_AFTER_SECONDS))]
    return mapper


def problem_body(status: int | str, title: str, detail: str) -> Config:
    """A local reply's body as an RFC 7807 problem (json_format: Envoy escapes `detail`, which
    may be a command such as %LOCAL_REPLY_BODY%, as a JSON string; a `status` of
    "%RESPONSE_CODE%" is written as a number)."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return {"json_format": body, "content_type": PROBLEM_CONTENT_TYPE}


def not_grpc() -> Config:
    """Matches a request whose content-type is not gRPC's (or that has none: GETs, and requests
    refused before their headers were read)."""
    return {
        "header_filter": {
            "header": {
                "name": "content-type",
                "string_match": {"prefix": "application/grpc"},
                "invert_match": True,
                # Else an absent header matches nothing, inverted or not.
                "treat_missing_header_as_empty": True,
            }
        }
    }


def status_is(status: int, op: str = "EQ") -> Config:
    """The local reply's status compared with `status` (EQ, GE or LE)."""
    # The runtime key is required by the API; nothing sets it.
    value = {"default_value": status, "runtime_key": f"local_reply.status.{op.lower()}.{status}"}
    return {"status_code_filter": {"comparison": {"op": op, "value": value}}}


def code_details(expression: str) -> Config:
    """A CEL expression on the reply, e.g. on `response.code_details`: the reason Envoy gives for
    it (`jwt_authn_access_denied{Jwt_is_missing}`, `http1.unexpected_underscore`...), which
    tells apart replies of one status from different sources."""
    return {
        "extension_filter": {
            "name": CEL_FILTER,
            "typed_config": typed(CEL_FILTER_CONFIG, expression=expression),
        }
    }


def details_start_with(prefix: str) -> Config:
    return code_details(f"response.code_details.startsWith({_cel_string(prefix)})")


def details_are(details: str) -> Config:
    return code_details(f"response.code_details == {_cel_string(details)}")


def all_of(*filters: Config) -> Config:
    """One filter from several (a single one stays as it is)."""
    return filters[0] if len(filters) == 1 else {"and_filter": {"filters": list(filters)}}


def overwrite(name: str, value: str) -> Config:
    """A `headers_to_add` entry (of a mapper, a route) replacing whatever value was there."""
    return {"header": {"key": name, "value": value}, "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"}


def _cel_string(text: str) -> str:
    if "'" in text or "\\" in text:
        raise ValueError(f"not a plain CEL string: {text!r}")
    return f"'{text}'"
