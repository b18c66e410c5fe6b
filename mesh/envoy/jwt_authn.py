"""The edge's token check: Envoy's jwt_authn filter against the identity service's JWKS, and
its 401/403 answered as RFC 7807 problems with a fixed challenge.

The edge only turns away requests that cannot be right; services verify the token again (it is
forwarded) and decide on roles. No claim is passed on in a header: services read the token."""

from __future__ import annotations

from pathlib import Path

from mesh.envoy.access_rules import PROVIDER, requirement_rules
from mesh.envoy.common import Config, duration, typed
from mesh.envoy.local_replies import (
    LOCAL_REPLY_BODY,
    Problem,
    details_are,
    details_start_with,
    overwrite,
    problem_mapper,
)
from mesh.envoy.retries import PREVIOUS_HOSTS
from mesh.topology import IdentitySpec, Topology, cluster_name
from services.common.contracts import CONTRACTS

JWT_AUTHN = "envoy.filters.http.jwt_authn"
JWT_PAYLOAD_METADATA = "jwt_payload"  # dynamic metadata key of a verified token's claims
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
# Each of jwt_authn's refusals says why in its response code details, under this prefix
# ("jwt_authn_access_denied{Jwt_is_missing}"): other 401/403s (RBAC, ...) are not its.
REFUSED_DETAILS = "jwt_authn_access_denied"
MISSING_DETAILS = f"{REFUSED_DETAILS}{{Jwt_is_missing}}"
# jwt_authn's own challenge names the request's URL as its realm (`Bearer realm="http://<Host>
# <path>"`), reflecting whatever Host the client sent: the edge names one fixed realm instead.
REALM = "capsure"
CHALLENGE = f'Bearer realm="{REALM}"'
# RFC 6750 3.1: a request without a token gets no error code; any other refusal is a bad token.
INVALID_TOKEN_CHALLENGE = f'{CHALLENGE}, error="invalid_token"'


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
        # The verified claims, for the edge's role check on gRPC (mesh/envoy/edge_roles.py).
        "payload_in_metadata": JWT_PAYLOAD_METADATA,
    }


def problem_mappers() -> list[Config]:
    """local_reply_config mappers of the edge: jwt_authn's 401 and 403 as problem+json 401s,
    with a challenge that never echoes the request."""
    return [
        _problem_mapper(details_are(MISSING_DETAILS), CHALLENGE),
        _problem_mapper(details_start_with(REFUSED_DETAILS), INVALID_TOKEN_CHALLENGE),
    ]


def _problem_mapper(refusals: Config, challenge: str) -> Config:
    # The detail is jwt_authn's own message ("Jwt is missing" …), never client input. gRPC
    # keeps Envoy's own answer (UNAUTHENTICATED, with jwt_authn's words).
    mapper = problem_mapper(Problem(401, UNAUTHORIZED, LOCAL_REPLY_BODY), refusals)
    return {
        **mapper,
        "status_code": 401,  # its 403 too
        "headers_to_add": [overwrite("www-authenticate", challenge)],
    }
