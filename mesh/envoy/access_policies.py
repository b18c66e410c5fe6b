"""Who may call an instance: the RBAC policies of its sidecar's inbound, derived from the one
description (mesh/mesh.yaml's `depends_on` and `calls`, the identity service) and from the
contracts (each `/internal/…` operation's `x-callers`). Nothing here is written by hand.

- the edge: the service's public API (its `api_prefix`), its gRPC services, health checks;
- a service that calls it (`depends_on`, `calls`): the same over the protocol it calls with;
- a service that only reads the identity service's JWKS: that one path;
- an internal operation: only the services its contract names (`x-callers`);
- health checks: every Envoy that routes to it (the edge, its callers).
Everything else is refused with 403: another service, an operator's certificate, a path no
policy names (so the edge never reaches `/internal/…`)."""

from __future__ import annotations

import re
from pathlib import Path

from mesh.envoy.common import Config
from mesh.envoy.policies import GRPC_HEALTH_SERVICE, HEALTH_PATH
from mesh.envoy.rbac import identities, policy, rbac_filter, request
from mesh.topology import ServiceSpec, Topology
from services.common.contracts import CONTRACTS, load_operations
from services.common.workload_identity import EDGE, spiffe_id


def inbound_rbac(topology: Topology, spec: ServiceSpec, contracts: Path = CONTRACTS) -> Config:
    """The RBAC filter of `spec`'s sidecar inbound."""
    return rbac_filter(inbound_policies(topology, spec, contracts))


def inbound_policies(
    topology: Topology, spec: ServiceSpec, contracts: Path = CONTRACTS
) -> dict[str, Config]:
    rest_callers, grpc_callers, jwks_readers = callers(topology, spec)
    every_caller = rest_callers | grpc_callers | jwks_readers
    policies: dict[str, Config] = {
        "health": policy(
            [request(methods=("GET",), path_regex=f"^{re.escape(HEALTH_PATH)}$")]
            + ([_grpc(GRPC_HEALTH_SERVICE)] if spec.has_grpc else []),
            identities(every_caller),
        ),
    }
    if rest_callers:
        policies["api"] = policy([request(under=spec.api_prefix)], identities(rest_callers))
    if grpc_callers and spec.has_grpc:
        policies["grpc"] = policy(
            [_grpc(name) for name in spec.grpc_services], identities(grpc_callers)
        )
    if jwks_readers and topology.identity is not None:
        path = f"^{re.escape(topology.identity.jwks_path)}$"
        policies["jwks"] = policy(
            [request(methods=("GET", "HEAD"), path_regex=path)], identities(jwks_readers)
        )
    for operation in load_operations(spec.name, contracts):
        if not operation.internal:
            continue
        if not operation.callers:
            raise ValueError(
                f"{spec.name}: {operation.method} {operation.template} is internal but declares"
                " no x-callers: nobody could call it"
            )
        for caller in operation.callers:
            if caller not in topology.services:
                continue  # a caller left out of this (partial) topology
            if spec.name not in topology.services[caller].peers:
                raise ValueError(
                    f"{spec.name}: {caller} may call {operation.template} (x-callers) but does"
                    " not call it in mesh.yaml (depends_on/calls)"
                )
        allowed = [spiffe_id(c) for c in operation.callers if c in topology.services]
        if allowed:
            name = f"internal {operation.method} {operation.template}"
            policies[name] = policy(
                [request(methods=(operation.method,), path_regex=operation.regex)],
                identities(allowed),
            )
    return policies


def callers(topology: Topology, spec: ServiceSpec) -> tuple[set[str], set[str], set[str]]:
    """SPIFFE IDs calling `spec` over REST, over gRPC, and only for the JWKS."""
    rest, grpc, jwks = {spiffe_id(EDGE)}, {spiffe_id(EDGE)} if spec.has_grpc else set(), set()
    for other in topology.services.values():
        protocol = other.peers.get(spec.name)
        if protocol == "http":
            rest.add(spiffe_id(other.name))
        elif protocol == "grpc":
            grpc.add(spiffe_id(other.name))
        elif other.fetches_jwks and topology.identity and topology.identity.service == spec.name:
            jwks.add(spiffe_id(other.name))
    return rest, grpc, jwks


def _grpc(service: str) -> Config:
    return request(methods=("POST",), prefix=f"/{service}/")
