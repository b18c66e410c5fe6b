"""Generated Envoy configs as the mesh generates them (mTLS identities included), and ways to
read them, for tests that read configs without running the mesh."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

from mesh.envoy import edge_config, sidecar_config
from mesh.envoy.clusters import ControlPlane
from mesh.envoy.tls import MeshTls
from mesh.topology import Instance, InstancePorts, Topology, load_topology

Config = dict[str, Any]
CONTROL_PLANE = ControlPlane("127.0.0.1", 8500, 18000)
IDENTITY_ROOT = PurePosixPath("/var/capsure/identity")
FIRST_PORT = 20000
HCM_FILTER = "envoy.filters.network.http_connection_manager"


def tls_for(workload: str) -> MeshTls:
    return MeshTls(IDENTITY_ROOT / workload)


def sidecar_of(topology: Topology, instance: Instance, **options: Any) -> Config:
    return sidecar_config(topology, instance, CONTROL_PLANE, tls=tls_for(instance.id), **options)


def edge_of(topology: Topology, **options: Any) -> Config:
    return edge_config(topology, CONTROL_PLANE, tls=tls_for("edge"), **options)


# --- instances -----------------------------------------------------------------------------------


def instances_of(topology: Topology) -> list[Instance]:
    """Every instance of `topology`, on loopback ports counted from FIRST_PORT."""
    ports = itertools.count(FIRST_PORT)
    return [
        Instance(spec, f"{spec.name}-{n}", InstancePorts.allocate(spec, lambda: next(ports)))
        for spec in topology.start_order()
        for n in range(1, spec.instances + 1)
    ]


def private_instances(topology: Topology, sockets: Path) -> list[Instance]:
    """One instance of each service as `make run` lays it out: app and egress on sockets under
    `sockets/<instance>`, inbound and admin on ports counted from FIRST_PORT."""
    ports = itertools.count(FIRST_PORT)
    return [
        Instance(
            spec,
            f"{spec.name}-1",
            InstancePorts.private(spec, lambda: next(ports), sockets / f"{spec.name}-1"),
        )
        for spec in topology.services.values()
    ]


# --- navigating a bootstrap ----------------------------------------------------------------------


def clusters(config: Config) -> dict[str, Config]:
    return {c["name"]: c for c in config["static_resources"]["clusters"]}


def listeners(config: Config) -> dict[str, Config]:
    return {listener["name"]: listener for listener in config["static_resources"]["listeners"]}


def hcm(listener: Config) -> Config:
    """The listener's HTTP connection manager (its only filter chain's only filter)."""
    (chain,) = listener["filter_chains"]
    (network_filter,) = chain["filters"]
    assert network_filter["name"] == HCM_FILTER
    return network_filter["typed_config"]


def edge_hcm(topology: Topology | None = None) -> Config:
    """The HTTP connection manager of the edge (of the default topology unless given)."""
    (listener,) = listeners(edge_of(topology or load_topology())).values()
    return hcm(listener)


def edge_mappers(topology: Topology | None = None) -> list[Config]:
    """The edge's local reply mappers, in order."""
    return edge_hcm(topology)["local_reply_config"]["mappers"]


def routes(listener: Config) -> list[Config]:
    (virtual_host,) = hcm(listener)["route_config"]["virtual_hosts"]
    assert virtual_host["domains"] == ["*"]
    return virtual_host["routes"]


def resolve(
    config: Config,
    listener: str,
    path: str,
    method: str = "GET",
    grpc: bool = False,
    headers: dict[str, str] | None = None,
) -> Config:
    """The first route of `listener` matching a request, as Envoy picks it (for the match
    kinds the generator uses: prefix, path, path_separated_prefix, :method regex, header
    present, grpc, inverted)."""
    for route in routes(listeners(config)[listener]):
        match = route["match"]
        if "prefix" in match and not path.startswith(match["prefix"]):
            continue
        if "path" in match and path != match["path"]:
            continue
        if "path_separated_prefix" in match:
            prefix = match["path_separated_prefix"]
            if not (path == prefix or path.startswith(prefix + "/")):
                continue
        if "grpc" in match and not grpc:
            continue
        sent = {":method": method, **{k.lower(): v for k, v in (headers or {}).items()}}
        if not all(_header_matches(h, sent) for h in match.get("headers", [])):
            continue
        return route
    raise AssertionError(f"no route for {method} {path} on {listener}")


def _header_matches(matcher: Config, sent: dict[str, str]) -> bool:
    if "present_match" in matcher:
        return (matcher["name"] in sent) == matcher["present_match"]
    value = sent.get(matcher["name"])
    regex = matcher["string_match"]["safe_regex"]["regex"]
    matched = value is not None and re.fullmatch(regex, value) is not None
    return matched != matcher.get("invert_match", False)


def principal_ids(principals: Iterable[Config]) -> set[str]:
    """The SPIFFE IDs `rbac.identities` (or `rbac.identity`) put in `principals`."""
    found: set[str] = set()
    for principal in principals:
        name = principal["authenticated"]["principal_name"]
        if "exact" in name:
            found.add(name["exact"])
        else:
            alternation = name["safe_regex"]["regex"].removeprefix("^(?:").removesuffix(")$")
            found |= {re.sub(r"\\(.)", r"\1", i) for i in alternation.split("|")}
    return found
