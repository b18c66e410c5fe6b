"""mTLS and RBAC in the generated configs: every hop presents and checks a mesh certificate,
every inbound admits only the callers mesh.yaml and the contracts declare, the control plane
only the workloads themselves. (tests/integration/test_mtls_envoy.py runs real Envoys.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from mesh.envoy.access_policies import inbound_policies
from mesh.envoy.metrics_listener import ENVOY_ADMIN, METRICS_LISTENER
from mesh.envoy.rbac import ANY_WORKLOAD, identities
from mesh.envoy.registry_sidecar import registry_sidecar_config
from mesh.topology import HOST, load_topology
from services.common.contracts import load_operations
from services.common.workload_identity import OPERATOR_ID, SERVICE_NAME, TRUST_DOMAIN, spiffe_id
from tests.support.envoy_configs import (
    CONTROL_PLANE,
    clusters,
    edge_of,
    hcm,
    listeners,
    principal_ids,
    private_instances,
    sidecar_of,
    tls_for,
)

pytestmark = pytest.mark.unit

Config = dict[str, Any]
TOPOLOGY = load_topology()
DOWNSTREAM = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext"
UPSTREAM = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext"


def peer_identity(cluster: Config) -> str:
    context = cluster["transport_socket"]["typed_config"]
    assert context["@type"] == UPSTREAM
    validation = context["common_tls_context"]["combined_validation_context"]
    (san,) = validation["default_validation_context"]["match_typed_subject_alt_names"]
    assert san["san_type"] == "URI"
    return san["matcher"]["exact"]


def principals(policy: Config) -> set[str]:
    return principal_ids(policy["principals"])


@pytest.fixture(scope="module")
def sidecars(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Config]:
    tmp = tmp_path_factory.mktemp("sockets")
    return {i.id: sidecar_of(TOPOLOGY, i) for i in private_instances(TOPOLOGY, tmp)}


def test_every_upstream_hop_is_mtls_to_the_one_identity_it_expects(sidecars) -> None:
    edge = edge_of(TOPOLOGY)
    for config in [edge, *sidecars.values()]:
        for name, cluster in clusters(config).items():
            if name.startswith("local_app"):
                assert "transport_socket" not in cluster  # the app, over its private socket
                continue
            if name == ENVOY_ADMIN:  # the metrics listener reading its own Envoy's stats
                address = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]
                assert address["endpoint"]["address"]["socket_address"]["address"] == HOST
                continue
            service = {"xds_cluster": "registry", "registry": "registry"}.get(name)
            expected = spiffe_id(service or name.removesuffix("_grpc"))
            assert peer_identity(cluster) == expected, name
            context = cluster["transport_socket"]["typed_config"]["common_tls_context"]
            assert context["tls_params"]["tls_minimum_protocol_version"] == "TLSv1_3"
            alpn = "h2" if name.endswith("_grpc") or name == "xds_cluster" else "http/1.1"
            assert context["alpn_protocols"] == [alpn]


def test_every_inbound_demands_a_mesh_certificate_and_reports_the_caller(sidecars) -> None:
    for instance_id, config in sidecars.items():
        inbound = listeners(config)["inbound"]
        context = inbound["filter_chains"][0]["transport_socket"]["typed_config"]
        assert context["@type"] == DOWNSTREAM
        assert context["require_client_certificate"] is True
        secrets = context["common_tls_context"]
        directory = str(tls_for(instance_id).directory)
        assert (
            secrets["tls_certificate_sds_secret_configs"][0]["sds_config"]["path_config_source"][
                "path"
            ]
            == f"{directory}/cert.yaml"
        )
        assert secrets["validation_context_sds_secret_config"]["name"] == "trust"
        manager = hcm(inbound)
        assert manager["forward_client_cert_details"] == "SANITIZE_SET"
        assert manager["set_current_client_cert_details"] == {"uri": True}
        assert manager["http_filters"][0]["name"] == "envoy.filters.http.rbac"


def test_the_app_and_its_egress_are_private_sockets(sidecars) -> None:
    for config in sidecars.values():
        for name, listener in listeners(config).items():
            if name in ("inbound", METRICS_LISTENER):
                assert "socket_address" in listener["address"]
                continue
            assert listener["address"]["pipe"]["mode"] == 0o600, name
            assert "transport_socket" not in listener["filter_chains"][0]  # the app's own door
        local = clusters(config)["local_app"]["load_assignment"]["endpoints"][0]
        assert "pipe" in local["lb_endpoints"][0]["endpoint"]["address"]


def test_only_declared_callers_reach_an_instance() -> None:
    for spec in TOPOLOGY.services.values():
        policies = inbound_policies(TOPOLOGY, spec)
        declared = {spiffe_id("edge")} | {
            spiffe_id(other.name)
            for other in TOPOLOGY.services.values()
            if spec.name in other.egress
        }
        for name, policy in policies.items():
            assert principals(policy) <= declared, (spec.name, name)
            assert principals(policy), (spec.name, name)


def test_internal_operations_admit_exactly_their_x_callers_and_never_the_edge() -> None:
    seen = 0
    for spec in TOPOLOGY.services.values():
        policies = inbound_policies(TOPOLOGY, spec)
        for operation in load_operations(spec.name):
            if not operation.template.startswith("/internal/"):
                continue
            seen += 1
            policy = policies[f"internal {operation.method} {operation.template}"]
            assert principals(policy) == {spiffe_id(c) for c in operation.callers or ()}
            edge_policies = [p for p in policies.values() if spiffe_id("edge") in principals(p)]
            for edge_policy in edge_policies:  # the edge's paths never include /internal/
                for permission in edge_policy["permissions"]:
                    assert "/internal" not in str(permission), (spec.name, permission)
    # nft's marketplace transfer; notification's events and price ticks, each one and batched
    assert seen == 5


def test_market_data_ingest_admits_trading_and_the_edge_only() -> None:
    policies = inbound_policies(TOPOLOGY, TOPOLOGY.services["analytics"])
    assert principals(policies["grpc"]) == {spiffe_id("trading"), spiffe_id("edge")}
    assert principals(policies["api"]) == {spiffe_id("edge")}


def test_jwks_readers_get_the_jwks_path_only() -> None:
    policies = inbound_policies(TOPOLOGY, TOPOLOGY.services["user"])
    assert spiffe_id("analytics") in principals(policies["jwks"])
    assert spiffe_id("analytics") not in principals(policies["api"])


def test_an_internal_operation_without_callers_is_refused_at_generation(tmp_path: Path) -> None:
    from services.common.contracts import CONTRACTS

    for name in TOPOLOGY.services:
        text = (CONTRACTS / f"{name}.yaml").read_text()
        (tmp_path / f"{name}.yaml").write_text(text.replace("x-callers: [trading]", "x-foo: 1"))
    with pytest.raises(ValueError, match="declares no x-callers"):
        inbound_policies(TOPOLOGY, TOPOLOGY.services["nft"], tmp_path)


def test_the_registry_lets_each_service_write_only_its_own_instances() -> None:
    config = registry_sidecar_config(
        TOPOLOGY,
        tls=tls_for("registry"),
        rest_app=Path("/run/registry/rest.sock"),
        xds_app=Path("/run/registry/xds.sock"),
        admin_port=9000,
    )
    rest, xds = listeners(config)["registry_rest"], listeners(config)["registry_xds"]
    policies = hcm(rest)["http_filters"][0]["typed_config"]["rules"]["policies"]
    for name in TOPOLOGY.services:
        policy = policies[f"write {name}"]
        assert principals(policy) == {spiffe_id(name)}
        assert f"/services/{name}/instances/" in str(policy["permissions"])
    readers = policies["read"]["principals"]
    assert {"authenticated": {"principal_name": {"exact": OPERATOR_ID}}} in readers
    assert "dynamic_resources" not in config  # it serves the control plane, takes nothing
    assert hcm(rest)["set_current_client_cert_details"]["cert"] is True  # hosts checked
    assert hcm(xds)["stream_idle_timeout"] == "0s"
    for listener in (rest, xds):
        context = listener["filter_chains"][0]["transport_socket"]["typed_config"]
        assert context["require_client_certificate"] is True


def test_every_envoy_subscribes_to_xds_over_mtls() -> None:
    xds = clusters(edge_of(TOPOLOGY))["xds_cluster"]
    assert peer_identity(xds) == spiffe_id("registry")
    endpoint = xds["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
    assert endpoint["address"]["socket_address"]["port_value"] == CONTROL_PLANE.xds_port


def test_several_callers_are_one_principal_that_names_exactly_them() -> None:
    """One alternation (cheaper per request than a list); no other ID slips through it."""
    import re

    ids = {spiffe_id("edge"), spiffe_id("trading"), spiffe_id("user")}
    (principal,) = identities(ids)
    regex = re.compile(principal["authenticated"]["principal_name"]["safe_regex"]["regex"])
    assert all(regex.fullmatch(i) for i in ids)
    for other in (
        spiffe_id("nft"),
        f"{spiffe_id('user')}x",
        "spiffe://capsure.local/svc/edgeXtrading",
    ):
        assert not regex.fullmatch(other)
    assert principal_ids([principal]) == ids


def test_the_public_api_is_matched_without_a_regex() -> None:
    api = inbound_policies(TOPOLOGY, TOPOLOGY.services["nft"])["api"]
    (permission,) = api["permissions"]
    assert permission == {
        "or_rules": {
            "rules": [
                {"url_path": {"path": {"exact": "/api/nfts"}}},
                {"url_path": {"path": {"prefix": "/api/nfts/"}}},
            ]
        }
    }


@pytest.mark.parametrize("name", ["a", "nft", "a-b_c9", "x" * 63])
def test_any_workload_is_every_service_name_and_no_operator(name: str) -> None:
    """rbac.ANY_WORKLOAD spells SERVICE_NAME's characters itself (Envoy refuses its bound)."""
    assert SERVICE_NAME.fullmatch(name)
    assert re.fullmatch(ANY_WORKLOAD, spiffe_id(name))
    assert not re.fullmatch(ANY_WORKLOAD, OPERATOR_ID)
    for not_a_name in ("Nft", "9nft", "n.ft", "nft/x"):
        assert not SERVICE_NAME.fullmatch(not_a_name)
        assert not re.fullmatch(ANY_WORKLOAD, f"spiffe://{TRUST_DOMAIN}/svc/{not_a_name}")
