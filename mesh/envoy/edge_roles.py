"""Roles at the edge for what no contract's `x-roles` covers: a gRPC service with `grpc_roles`
in mesh.yaml (publishing market data needs Developer or Admin, as its REST operation does).

jwt_authn has verified the token (the service's gRPC paths require one) and put its claims in
dynamic metadata; this RBAC filter, right after it, admits a call to such a service only when
the token's `roles` claim holds one of the roles. Anything else passes untouched: REST roles
are the services' (x-roles), checked where the operation is known. A refusal is a 403, which
Envoy answers a gRPC client as PERMISSION_DENIED."""

from __future__ import annotations

from mesh.envoy.common import Config
from mesh.envoy.jwt_authn import JWT_AUTHN, JWT_PAYLOAD_METADATA
from mesh.envoy.rbac import policy, rbac_filter, request
from mesh.topology import Topology

ROLES_CLAIM = "roles"


def edge_role_check(topology: Topology) -> list[Config]:
    """The RBAC filter (none when no service asks for roles)."""
    guarded = [
        (name, spec.grpc_roles)
        for spec in topology.services.values()
        for name in spec.grpc_services
        if spec.grpc_roles
    ]
    if not guarded:
        return []
    paths = [request(prefix=f"/{name}/") for name, _ in guarded]
    policies = {
        f"grpc {name}": policy([request(prefix=f"/{name}/")], [_holds_one_of(roles)])
        for name, roles in guarded
    }
    policies["everything else"] = policy([{"not_rule": {"or_rules": {"rules": paths}}}], [ANY])
    return [rbac_filter(policies)]


ANY: Config = {"any": True}


def _holds_one_of(roles: tuple[str, ...]) -> Config:
    return {"or_ids": {"ids": [_claim_holds(role) for role in roles]}}


def _claim_holds(role: str) -> Config:
    path = [{"key": JWT_PAYLOAD_METADATA}, {"key": ROLES_CLAIM}]
    holds = {"list_match": {"one_of": {"string_match": {"exact": role}}}}
    return {"metadata": {"filter": JWT_AUTHN, "path": path, "value": holds}}
