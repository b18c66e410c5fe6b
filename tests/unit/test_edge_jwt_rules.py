"""The edge's jwt_authn rules, generated from the OpenAPI contracts: which requests need a token.

Rules are evaluated here as jwt_authn does (first match wins; path matches on the path without
its query; regexes must match the whole path), for the match kinds the generator uses."""

from __future__ import annotations

import re
from typing import Any

import pytest

from mesh.envoy.access_rules import PROVIDER, operation_rules, requirement_rules
from mesh.topology import Topology, load_topology
from services.common.contracts import Operation, load_operations, operations, path_regex

pytestmark = pytest.mark.unit

Rule = dict[str, Any]
TOPOLOGY = load_topology()
# Publishing market data needs a token with a role (mesh.yaml's grpc_roles), as over REST.
MARKET_DATA_PATHS = (
    "/market.MarketDataService/SendMarketData",
    "/capsure.analytics.v1.MarketDataService/StreamMarketData",
    "/capsure.analytics.v1.MarketDataService/StreamTickBatches",
)


def first_rule(rules: list[Rule], method: str, path: str) -> Rule:
    path = path.split("?", 1)[0]
    for rule in rules:
        match = rule["match"]
        if not all(
            {":method": method}[h["name"]] == h["string_match"]["exact"]
            for h in match.get("headers", [])
        ):
            continue
        if "prefix" in match and path.startswith(match["prefix"]):
            return rule
        if "path" in match and path == match["path"]:
            return rule
        if "path_separated_prefix" in match:
            prefix = match["path_separated_prefix"]
            if path == prefix or path.startswith(prefix + "/"):
                return rule
        if "safe_regex" in match and re.fullmatch(match["safe_regex"]["regex"], path):
            return rule
    raise AssertionError(f"no rule for {method} {path}")


def needs_token(rules: list[Rule], method: str, path: str) -> bool:
    rule = first_rule(rules, method, path)
    if "requires" not in rule:
        return False
    assert rule["requires"] == {"provider_name": PROVIDER}
    return True


def sample_path(template: str) -> str:
    """A concrete path of a template: every parameter becomes one plausible segment."""
    return re.sub(r"\{[^/}]+\}", "x-7", template)


def every_operation(topology: Topology) -> list[Operation]:
    return [op for name in topology.services for op in load_operations(name)]


@pytest.fixture(scope="module")
def rules() -> list[Rule]:
    return requirement_rules(TOPOLOGY)


def test_the_contracts_have_public_and_protected_operations() -> None:
    kinds = {op.public for op in every_operation(TOPOLOGY)}
    assert kinds == {True, False}


def test_every_public_operation_passes_without_a_token(rules: list[Rule]) -> None:
    for op in every_operation(TOPOLOGY):
        if op.public and op.template.startswith("/api/"):
            rule = first_rule(rules, op.method, sample_path(op.template))
            assert "requires" not in rule, op
            assert rule["match"]["safe_regex"]["regex"] == path_regex(op.template)
            assert rule["match"]["headers"] == [
                {"name": ":method", "string_match": {"exact": op.method}}
            ]


def test_every_protected_operation_needs_a_token(rules: list[Rule]) -> None:
    for op in every_operation(TOPOLOGY):
        if not op.public:
            assert needs_token(rules, op.method, sample_path(op.template)), op


def test_known_public_and_protected_operations(rules: list[Rule]) -> None:
    assert not needs_token(rules, "GET", "/api/nfts/42")
    assert not needs_token(rules, "GET", "/api/nfts/user/7?limit=5")
    assert not needs_token(rules, "GET", "/api/analytics/assets/ETH-USD/stats")
    assert not needs_token(rules, "POST", "/api/users")  # registration
    assert not needs_token(rules, "POST", "/api/users/login")
    assert not needs_token(rules, "GET", "/api/users/.well-known/jwks.json")
    assert needs_token(rules, "POST", "/api/nfts")
    assert needs_token(rules, "POST", "/api/nfts/42/transfer")
    assert needs_token(rules, "POST", "/api/trading/market-data")
    assert needs_token(rules, "GET", "/api/users/me")
    assert needs_token(rules, "GET", "/api/users")  # listing accounts


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/api/nfts/42"),  # a public path, another method
        ("POST", "/api/analytics/assets"),
        ("GET", "/api/nfts/42/extra"),  # a public template does not match deeper paths
        ("GET", "/api/nfts/"),  # nor an empty segment
        ("GET", "/api/users/.well-known/jwksxjson"),  # dots are literal
        ("GET", "/api/trading"),
        ("PUT", "/api/users/x-7/anything"),
    ],
)
def test_anything_else_under_an_api_prefix_needs_a_token(
    rules: list[Rule], method: str, path: str
) -> None:
    assert needs_token(rules, method, path)


@pytest.mark.parametrize("path", ["/", "/api/unknown", "/admin", "/api/nftsx/42"])
def test_paths_no_route_leads_from_need_no_token_and_meet_the_404(
    rules: list[Rule], path: str
) -> None:
    with pytest.raises(AssertionError, match="no rule"):
        first_rule(rules, "GET", path)


def test_market_data_over_grpc_needs_a_token_and_grpc_health_none(rules: list[Rule]) -> None:
    for path in MARKET_DATA_PATHS:
        assert needs_token(rules, "POST", path)
    assert not needs_token(rules, "POST", "/grpc.health.v1.Health/Check")


def test_api_documentation_is_public_for_reading(rules: list[Rule]) -> None:
    for spec in TOPOLOGY.services.values():
        for path in (f"{spec.api_prefix}/openapi.json", f"{spec.api_prefix}/ui/"):
            assert not needs_token(rules, "GET", path)
            assert needs_token(rules, "POST", path)
        assert needs_token(rules, "GET", f"{spec.api_prefix}/uix/y")  # not under ui/


def test_each_api_prefix_requiring_a_token_comes_last(rules: list[Rule]) -> None:
    prefixes = [spec.api_prefix for spec in TOPOLOGY.services.values()]
    assert rules[-len(prefixes) :] == [
        {"match": {"path_separated_prefix": p}, "requires": {"provider_name": PROVIDER}}
        for p in prefixes
    ]


def test_rules_are_generated_in_a_stable_order() -> None:
    assert requirement_rules(TOPOLOGY) == requirement_rules(TOPOLOGY)
    reordered = Topology(
        TOPOLOGY.registry,
        TOPOLOGY.edge,
        dict(reversed(list(TOPOLOGY.services.items()))),
        TOPOLOGY.identity,
    )
    operations_of = [r for r in requirement_rules(reordered) if "safe_regex" in r["match"]]
    assert operations_of == [r for r in requirement_rules(TOPOLOGY) if "safe_regex" in r["match"]]


def test_rules_cover_only_the_services_of_the_topology() -> None:
    rules = requirement_rules(TOPOLOGY.only({"nft"}))  # nft and the identity service
    assert not needs_token(rules, "GET", "/api/nfts/42")
    assert needs_token(rules, "POST", "/api/users/x-7/roles")
    # Services outside the topology have no rules at all (and no route at this edge).
    for method, path in [
        ("GET", "/api/analytics/assets"),
        ("POST", "/market.MarketDataService/SendMarketData"),
    ]:
        with pytest.raises(AssertionError, match="no rule"):
            first_rule(rules, method, path)


# --- from a contract to rules ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "regex"),
    [
        ("/api/nfts", "^/api/nfts$"),
        ("/api/nfts/{nftId}", "^/api/nfts/[^/]+$"),
        ("/api/nfts/{nftId}/transfer", "^/api/nfts/[^/]+/transfer$"),
        ("/api/users/.well-known/jwks.json", r"^/api/users/\.well-known/jwks\.json$"),
        ("/a/{x}/{y}", "^/a/[^/]+/[^/]+$"),
        ("/files/{name}.json", r"^/files/[^/]+\.json$"),
    ],
)
def test_path_templates_become_anchored_regexes(template: str, regex: str) -> None:
    assert path_regex(template) == regex


def contract(paths: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"openapi": "3.0.3", "servers": [{"url": "/"}], "paths": paths, **top}


BEARER = [{"bearerAuth": []}]


def test_an_operation_is_public_without_security_or_with_an_empty_one() -> None:
    found = operations(
        contract(
            {
                "/a": {
                    "parameters": [],  # path-level keys are not operations
                    "get": {},
                    "post": {"security": BEARER},
                    "put": {"security": []},
                    "patch": {"security": [{}, *BEARER]},  # token optional
                }
            }
        )
    )
    public = {op.method: op.public for op in found}
    assert public == {"GET": True, "POST": False, "PUT": True, "PATCH": True}


def test_top_level_security_applies_unless_an_operation_overrides_it() -> None:
    found = operations(
        contract({"/a": {"get": {}, "put": {"security": []}}}, security=BEARER),
    )
    assert {op.method: op.public for op in found} == {"GET": False, "PUT": True}


def test_a_server_path_prefixes_every_template() -> None:
    found = operations({"servers": [{"url": "/v2"}], "paths": {"/a/{id}": {"get": {}}}})
    assert found == [Operation("GET", "/v2/a/{id}", True)]


def test_a_protected_path_a_public_template_would_match_comes_first() -> None:
    rules = operation_rules(
        operations(
            contract(
                {
                    "/x/{id}": {"get": {}, "delete": {"security": BEARER}},
                    "/x/me": {"get": {"security": BEARER}},
                    "/x/public": {"get": {}},
                    "/y/{id}": {"get": {"security": BEARER}},
                }
            )
        )
    )
    rules.append({"match": {"prefix": "/"}, "requires": {"provider_name": PROVIDER}})
    assert needs_token(rules, "GET", "/x/me")  # protected although /x/{id} is public
    assert not needs_token(rules, "GET", "/x/7")
    assert not needs_token(rules, "GET", "/x/public")
    assert needs_token(rules, "DELETE", "/x/7")
    assert needs_token(rules, "GET", "/y/7")
    # Only what changes the outcome is listed: no rule for /y/{id} or DELETE /x/{id}.
    regexes = [rule["match"]["safe_regex"]["regex"] for rule in rules[:-1]]
    assert regexes == ["^/x/me$", "^/x/public$", "^/x/[^/]+$"]


def test_internal_operations_outside_the_api_prefix_get_no_rule(rules: list[Rule]) -> None:
    # /internal/... has no edge route at all: the edge's 404 answers, no token rule needed.
    with pytest.raises(AssertionError, match="no rule"):
        first_rule(rules, "POST", "/internal/notification-events")
