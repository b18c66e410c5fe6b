"""Which requests the edge lets through without a token: jwt_authn's rules, generated from the
services' OpenAPI contracts. The first matching rule applies; a rule without `requires` lets
the request through unverified.

1. public REST operations (method + anchored path regex), most specific path first; a protected
   operation goes before a public one whose template would otherwise match its paths
   (`GET /x/me` protected before `GET /x/{id}` public);
2. each API's Swagger UI and spec (documentation, not data);
3. gRPC services: the seed's stock client sends no token and must keep working;
4. everything else under a service's API prefix needs a valid token from the identity
   provider. Paths outside every prefix need none: no route leads anywhere from them (the edge
   answers its 404), and the edge normalises paths before this filter sees them.
"""

from __future__ import annotations

from pathlib import Path

from mesh.envoy.common import Config
from mesh.envoy.policies import GRPC_HEALTH_SERVICE
from mesh.topology import Topology
from services.common.contracts import CONTRACTS, Operation, load_operations, overlaps, specificity

PROVIDER = "capsure"


def requirement_rules(topology: Topology, contracts: Path = CONTRACTS) -> list[Config]:
    """jwt_authn's `rules` for the services of `topology`, in a stable order."""
    # Operations outside a service's API prefix (internal ones) have no edge route: no rule.
    operations = [
        op
        for name, spec in topology.services.items()
        for op in load_operations(name, contracts)
        if op.template == spec.api_prefix or op.template.startswith(f"{spec.api_prefix}/")
    ]
    return [
        *operation_rules(operations),
        *documentation_rules(topology),
        *grpc_rules(topology),
        *[
            {"match": {"path_separated_prefix": spec.api_prefix}, "requires": require_token()}
            for spec in topology.services.values()
        ],
    ]


def operation_rules(operations: list[Operation]) -> list[Config]:
    """A rule per public operation, and per protected one a public rule would shadow."""
    public = [op for op in operations if op.public]
    needed = public + [
        op
        for op in operations
        if not op.public
        and any(
            p.method == op.method
            and overlaps(p.template, op.template)
            and specificity(op.template) < specificity(p.template)
            for p in public
        )
    ]
    needed.sort(key=lambda op: (specificity(op.template), op.method))
    return [_operation_rule(op) for op in needed]


def documentation_rules(topology: Topology) -> list[Config]:
    """Swagger UI and the spec each API serves under its prefix (read by browsers, no token)."""
    rules: list[Config] = []
    for spec in topology.services.values():
        prefix = spec.api_prefix
        rules.append({"match": {"path": f"{prefix}/openapi.json", **_method("GET")}})
        rules.append({"match": {"path_separated_prefix": f"{prefix}/ui", **_method("GET")}})
    return rules


def grpc_rules(topology: Topology) -> list[Config]:
    """Every gRPC service the edge routes, and gRPC health. A service with `grpc_roles` needs a
    token (its roles are checked next, by the edge's RBAC: mesh/envoy/edge_roles.py); the
    others and health pass without. (jwt_authn ignores a `grpc` match; a non-gRPC request on
    these paths passes here and meets the edge's 404.)"""
    rules: list[Config] = []
    for spec in topology.services.values():
        for name in spec.grpc_services:
            rule: Config = {"match": {"prefix": f"/{name}/"}}
            if spec.grpc_roles:
                rule["requires"] = require_token()
            rules.append(rule)
    if rules:
        rules.append({"match": {"prefix": f"/{GRPC_HEALTH_SERVICE}/"}})
    return rules


def _operation_rule(operation: Operation) -> Config:
    match = {"safe_regex": {"regex": operation.regex}, **_method(operation.method)}
    rule: Config = {"match": match}
    if not operation.public:
        rule["requires"] = require_token()
    return rule


def require_token() -> Config:
    return {"provider_name": PROVIDER}


def _method(method: str) -> Config:
    return {"headers": [{"name": ":method", "string_match": {"exact": method}}]}
