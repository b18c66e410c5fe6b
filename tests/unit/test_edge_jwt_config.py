"""The edge's token check as generated: jwt_authn before the router with one provider (the
identity service's JWKS through its REST cluster), refusals as problem+json, and no identity
the client claims reaching a service. (tests/integration/test_edge_jwt_envoy.py runs it.)"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from mesh.envoy.edge import UNTRUSTED_IDENTITY_HEADERS
from mesh.topology import Instance, InstancePorts, load_topology
from tests.support.envoy_configs import edge_hcm, edge_of, hcm, sidecar_of

pytestmark = pytest.mark.unit

Config = dict[str, Any]
TOPOLOGY = load_topology()
JWT_AUTHN = "envoy.filters.http.jwt_authn"
ROUTER = "envoy.filters.http.router"


def provider() -> Config:
    jwt_filter = edge_hcm()["http_filters"][0]
    return jwt_filter["typed_config"]["providers"]["capsure"]


def test_jwt_authn_runs_first_then_the_grpc_role_check_then_the_router() -> None:
    filters = edge_hcm()["http_filters"]
    assert [f["name"] for f in filters] == [JWT_AUTHN, "envoy.filters.http.rbac", ROUTER]
    assert filters[0]["typed_config"]["@type"] == (
        "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication"
    )
    assert set(filters[0]["typed_config"]["providers"]) == {"capsure"}


def test_the_provider_trusts_the_identity_service() -> None:
    identity = TOPOLOGY.identity
    assert identity is not None
    config = provider()
    assert config["issuer"] == identity.issuer == "capsure-user"
    assert config["audiences"] == [identity.audience] == ["capsure"]
    jwks = config["remote_jwks"]
    assert jwks["http_uri"] == {
        "uri": "http://user/api/users/.well-known/jwks.json",
        "cluster": "user",  # the identity service's REST cluster (EDS, health-checked)
        "timeout": "2s",
    }
    assert jwks["cache_duration"] == "30s"
    assert jwks["async_fetch"] == {"fast_listener": True, "failed_refetch_duration": "1s"}
    retry = jwks["retry_policy"]
    assert retry["num_retries"] >= 1
    assert retry["retry_back_off"] == {"base_interval": "0.1s", "max_interval": "1s"}


def test_only_a_bearer_authorization_header_counts_and_it_is_forwarded() -> None:
    config = provider()
    assert config["from_headers"] == [{"name": "Authorization", "value_prefix": "Bearer "}]
    assert "from_params" not in config and "from_cookies" not in config
    assert config["forward"] is True  # services verify the token again
    assert config["require_expiration"] is True
    # No claims travel in headers: services read the (forwarded) token themselves. The claims
    # stay inside the edge, as metadata for its gRPC role check.
    for passing_on in ("forward_payload_header", "claim_to_headers"):
        assert passing_on not in config
    assert config["payload_in_metadata"] == "jwt_payload"


def token_mappers(manager: Config) -> list[Config]:
    """The mappers matching jwt_authn's refusals by their response code details."""
    return [
        m
        for m in manager["local_reply_config"]["mappers"]
        if "jwt_authn_access_denied" in str(m["filter"])
    ]


def cel(mapper: Config) -> str:
    """The mapper's CEL condition on the reply; the other condition: not a gRPC request (gRPC
    keeps Envoy's own UNAUTHENTICATED: a JSON body would only end up in grpc-message)."""
    details, grpc = mapper["filter"]["and_filter"]["filters"]
    assert grpc["header_filter"]["header"]["string_match"] == {"prefix": "application/grpc"}
    assert grpc["header_filter"]["header"]["invert_match"] is True
    extension = details["extension_filter"]
    assert extension["name"] == "envoy.access_loggers.extension_filters.cel"
    return extension["typed_config"]["expression"]


def test_refusals_are_problem_json_401s_with_a_fixed_challenge() -> None:
    mappers = edge_hcm()["local_reply_config"]["mappers"]
    missing, invalid = token_mappers(edge_hcm())
    # First: no other mapper (by status, ...) may take the token check's replies.
    assert mappers[:2] == [missing, invalid]
    assert cel(missing) == "response.code_details == 'jwt_authn_access_denied{Jwt_is_missing}'"
    # Every other refusal of jwt_authn, its 403 (a token for another audience) included.
    assert cel(invalid) == "response.code_details.startsWith('jwt_authn_access_denied')"
    challenges = {
        id(missing): 'Bearer realm="capsure"',
        id(invalid): 'Bearer realm="capsure", error="invalid_token"',
    }
    for mapper in (missing, invalid):
        assert mapper["status_code"] == 401
        # Replaces jwt_authn's challenge, whose realm is the request's own Host and path.
        assert mapper["headers_to_add"] == [
            {
                "header": {"key": "www-authenticate", "value": challenges[id(mapper)]},
                "append_action": "OVERWRITE_IF_EXISTS_OR_ADD",
            }
        ]
        body = mapper["body_format_override"]
        assert body["content_type"] == "application/problem+json"
        assert body["json_format"] == {
            "type": "about:blank",
            "title": "Unauthorized",
            "status": 401,
            "detail": "%LOCAL_REPLY_BODY%",
        }


def test_identity_headers_from_clients_are_dropped_and_the_client_address_set() -> None:
    route_config = edge_hcm()["route_config"]
    assert set(route_config["request_headers_to_remove"]) == set(UNTRUSTED_IDENTITY_HEADERS)
    assert {"x-jwt-payload", "x-user", "x-user-id", "x-roles"} <= set(UNTRUSTED_IDENTITY_HEADERS)
    assert route_config["request_headers_to_add"] == [
        {
            "header": {
                "key": "x-capsure-client-ip",
                "value": "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%",
            },
            "append_action": "OVERWRITE_IF_EXISTS_OR_ADD",
        }
    ]


def test_no_client_address_counts_as_internal() -> None:
    manager = edge_hcm()
    assert manager["use_remote_address"] is True
    assert manager["xff_num_trusted_hops"] == 0
    # Unset on purpose: an explicit one with empty cidr_ranges trusts RFC 1918 and loopback.
    assert "internal_address_config" not in manager


def test_without_an_identity_service_the_edge_checks_no_token() -> None:
    services = {name: replace(spec, grpc_roles=()) for name, spec in TOPOLOGY.services.items()}
    manager = edge_hcm(replace(TOPOLOGY, identity=None, services=services))
    assert [f["name"] for f in manager["http_filters"]] == [ROUTER]
    # No token refusals to map; the edge's own failures and refusals are still problems.
    assert manager["local_reply_config"]["mappers"]
    assert token_mappers(manager) == []
    # Client-claimed identities are dropped all the same.
    assert manager["route_config"]["request_headers_to_remove"]


def test_sidecars_check_no_token_themselves() -> None:
    ports = iter(range(30000, 30100))
    for spec in TOPOLOGY.services.values():
        instance = Instance(spec, f"{spec.name}-1", InstancePorts.allocate(spec, ports.__next__))
        for listener in sidecar_of(TOPOLOGY, instance)["static_resources"]["listeners"]:
            manager = hcm(listener)
            # Tokens are checked by the app; a sidecar only routes (and injects faults, when
            # switched on, at its inbound).
            names = [f["name"] for f in manager["http_filters"]]
            assert names[-1] == ROUTER
            assert not any("jwt_authn" in name for name in names)


def test_an_edge_cannot_check_tokens_without_the_identity_service() -> None:
    services = {name: spec for name, spec in TOPOLOGY.services.items() if name != "user"}
    with pytest.raises(ValueError, match="identity service"):
        edge_of(replace(TOPOLOGY, services=services))
