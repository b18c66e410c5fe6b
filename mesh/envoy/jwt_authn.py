"""The edge's token check: Envoy's jwt_authn filter against the identity service's JWKS, and
its 401/403 answered as RFC 7807 problems.

The edge only turns away requests that cannot be right; services verify the token again (it is
forwarded) and decide on roles. No claim is passed on in a header: services read the token."""

from __future__ import annotations

from pathlib import Path

from mesh.envoy.access_rules import PROVIDER, requirement_rules
from mesh.envoy.common import Config, duration, typed
from mesh.envoy.gateway_problems import problem_body
from mesh.envoy.retries import PREVIOUS_HOSTS
from mesh.topology import IdentitySpec, Topology, cluster_name
from services.common.contracts import CONTRACTS

JWT_AUTHN = "envoy.filters.http.jwt_authn"
JWT_AUTHN_CONFIG = "envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication"
# Counted by the edge (stat_prefix "edge") each time it has fetched the JWKS; readiness waits
# for it (mesh/runner.py).
JWKS_FETCH_SUCCESS_STAT = "http.edge.jwt_authn.jwks_fetch_success"

JWKS_FETCH_TIMEOUT = 2.0
# The first fetch happens at start-up, usually before the identity service is up: try again
# every second until it answers (the default is a minute).
JWKS_FAILED_REFETCH = 1.0
JWKS_NUM_RETRIES = 2  # within one fetch: another instance, after 0.1-1 s
JWKS_RETRY_BASE = 0.1
JWKS_RETRY_MAX = 1.0
BEARER = {"name": "Authorization", "value_prefix": "Bearer "}

# jwt_authn's local replies, as problems: its 403 (a valid signature, but a token for another
# audience) is answered 401 too — the caller has no credential for this API, and every forged
# or foreign token gets the one answer. The detail is jwt_authn's message ("Jwt is missing" …).
UNAUTHORIZED = "Unauthorized"
PROBLEM_REPLIES = {401: 401, 403: 401}


def jwt_authn_filter(
    topology: Topology, identity: IdentitySpec, contracts: Path = CONTRACTS
) -> Config:
    """The HTTP filter, placed before the router."""
    config = typed(
        JWT_AUTHN_CONFIG,
        providers={PROVIDER: provider(identity)},
        rules=requirement_rules(topology, contracts),
    )
    return {"name": JWT_AUTHN, "typed_config": config}


def provider(identity: IdentitySpec) -> Config:
    issuer_cluster = cluster_name(identity.service, "http")
    return {
        "issuer": identity.issuer,
        "audiences": [identity.audience],
        "remote_jwks": {
            "http_uri": {
                "uri": f"http://{identity.service}{identity.jwks_path}",
                "cluster": issuer_cluster,
                "timeout": duration(JWKS_FETCH_TIMEOUT),
            },
            "cache_duration": duration(identity.jwks_cache_seconds),
            # Fetched in the background from start-up, refreshed before the cache expires: no
            # request waits for a fetch. fast_listener: the edge listens before the first one.
            "async_fetch": {
                "fast_listener": True,
                "failed_refetch_duration": duration(JWKS_FAILED_REFETCH),
            },
            "retry_policy": {
                "retry_on": "5xx,reset,connect-failure,refused-stream",
                "num_retries": JWKS_NUM_RETRIES,
                "retry_back_off": {
                    "base_interval": duration(JWKS_RETRY_BASE),
                    "max_interval": duration(JWKS_RETRY_MAX),
                },
                "retry_host_predicate": [PREVIOUS_HOSTS],
            },
        },
        # Only `Authorization: Bearer` (not the default `access_token` query parameter, which
        # ends up in logs), and kept on the request: services verify it again.
        "from_headers": [dict(BEARER)],
        "forward": True,
        "require_expiration": True,
    }


def problem_mappers() -> list[Config]:
    """local_reply_config mappers of the edge: jwt_authn's 401 and 403 as problem+json (the
    headers it sets, WWW-Authenticate among them, are kept)."""
    return [_problem_mapper(seen, sent) for seen, sent in PROBLEM_REPLIES.items()]


def _problem_mapper(status: int, answered: int) -> Config:
    return {
        "filter": {
            "status_code_filter": {
                "comparison": {
                    "op": "EQ",
                    "value": {"default_value": status, "runtime_key": f"edge.problem.{status}"},
                }
            }
        },
        "status_code": answered,
        # The detail is jwt_authn's own message ("Jwt is missing" …).
        "body_format_override": problem_body(answered, UNAUTHORIZED, "%LOCAL_REPLY_BODY%"),
    }
