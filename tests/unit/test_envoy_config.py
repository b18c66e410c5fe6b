"""The generated Envoy bootstraps, structurally: every policy of the mesh is where it must be.

No Envoy runs here (tests/integration/test_envoy_validate.py has Envoy check each config).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from mesh.envoy import edge_config, write_config
from mesh.envoy.common import duration
from mesh.envoy.metrics_listener import ENVOY_ADMIN, METRICS_LISTENER
from mesh.envoy.refusals import listener_refusal_mappers
from mesh.envoy.registry_sidecar import registry_sidecar_config
from mesh.topology import Instance, Topology, cluster_name, load_topology
from tests.support.envoy_configs import (
    CONTROL_PLANE,
    clusters,
    edge_of,
    hcm,
    instances_of,
    listeners,
    resolve,
    routes,
    sidecar_of,
    tls_for,
)

pytestmark = pytest.mark.unit

Config = dict[str, Any]
NOT_FORWARDED = "x-mesh-not-forwarded"
UNSENT_RETRY_ON = {"connect-failure", "refused-stream", "reset-before-request", "retriable-headers"}


# --- the default topology, every instance on ports from a counter -----------------------------


@pytest.fixture(scope="module")
def topology() -> Topology:
    return load_topology()


@pytest.fixture(scope="module")
def instances(topology: Topology) -> list[Instance]:
    return instances_of(topology)


@pytest.fixture(scope="module")
def sidecars(topology: Topology, instances: list[Instance]) -> dict[str, Config]:
    return {instance.id: sidecar_of(topology, instance) for instance in instances}


@pytest.fixture(scope="module")
def edge(topology: Topology) -> Config:
    return edge_of(topology)


@pytest.fixture(scope="module")
def every_config(sidecars: dict[str, Config], edge: Config) -> dict[str, Config]:
    return {**sidecars, "edge": edge}


def instance_named(instances: list[Instance], instance_id: str) -> Instance:
    return next(instance for instance in instances if instance.id == instance_id)


# --- navigating a bootstrap --------------------------------------------------------------------


def every_route(config: Config) -> Iterator[Config]:
    for listener in listeners(config).values():
        yield from routes(listener)


def port_of(listener_or_endpoint: Config) -> int:
    return listener_or_endpoint["address"]["socket_address"]["port_value"]


def eds_clusters(config: Config) -> list[Config]:
    return [c for c in clusters(config).values() if c["type"] == "EDS"]


def protocol_options(cluster: Config) -> Config:
    options = cluster["typed_extension_protocol_options"]
    return options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]


def retry_on(route: Config) -> set[str]:
    return set(route["route"]["retry_policy"]["retry_on"].split(","))


# --- common to every Envoy ---------------------------------------------------------------------


def test_node_identity_and_admin_on_loopback(
    sidecars: dict[str, Config], edge: Config, instances: list[Instance]
) -> None:
    for instance in instances:
        config = sidecars[instance.id]
        assert config["node"] == {"id": instance.id, "cluster": instance.service.name}
        assert config["admin"]["address"]["socket_address"] == {
            "address": "127.0.0.1",
            "port_value": instance.ports.admin,
        }
    assert edge["node"] == {"id": "edge", "cluster": "edge"}
    assert edge["admin"]["address"]["socket_address"]["address"] == "127.0.0.1"


def test_ads_over_grpc_with_a_short_reconnect_back_off(every_config: dict[str, Config]) -> None:
    for config in every_config.values():
        ads = config["dynamic_resources"]["ads_config"]
        assert ads["api_type"] == "GRPC"
        assert ads["transport_api_version"] == "V3"
        assert ads["set_node_on_first_message_only"] is True
        (service,) = ads["grpc_services"]
        assert service["envoy_grpc"]["cluster_name"] == "xds_cluster"
        back_off = service["envoy_grpc"]["retry_policy"]["retry_back_off"]
        assert back_off == {"base_interval": "0.1s", "max_interval": "1s"}
        xds = clusters(config)["xds_cluster"]
        assert xds["type"] == "STATIC"
        assert xds["connect_timeout"] == "1s"
        assert "http2_protocol_options" in protocol_options(xds)["explicit_http_config"]
        (endpoint,) = xds["load_assignment"]["endpoints"][0]["lb_endpoints"]
        assert endpoint["endpoint"]["address"]["socket_address"] == {
            "address": CONTROL_PLANE.host,
            "port_value": CONTROL_PLANE.xds_port,
        }


def test_a_control_plane_by_name_is_resolved_by_dns(topology: Topology) -> None:
    config = edge_config(topology, replace(CONTROL_PLANE, host="registry"), tls=tls_for("edge"))
    assert clusters(config)["xds_cluster"]["type"] == "STRICT_DNS"


# --- every upstream cluster of the mesh --------------------------------------------------------


def test_every_mesh_cluster_is_eds_with_a_short_initial_fetch(
    every_config: dict[str, Config],
) -> None:
    for config in every_config.values():
        for cluster in eds_clusters(config):
            assert cluster["eds_cluster_config"]["eds_config"] == {
                "ads": {},
                "resource_api_version": "V3",
                "initial_fetch_timeout": "1s",
            }
            assert "load_assignment" not in cluster


def test_every_mesh_cluster_carries_the_resilience_policies(
    every_config: dict[str, Config],
) -> None:
    for config in every_config.values():
        for cluster in eds_clusters(config):
            assert cluster["connect_timeout"] == "0.25s"
            assert cluster["per_connection_buffer_limit_bytes"] == 32768
            assert cluster["ignore_health_on_host_removal"] is True
            assert cluster["common_lb_config"] == {
                "healthy_panic_threshold": {"value": 25.0},
                "update_merge_window": "0s",
            }
            outlier = cluster["outlier_detection"]
            assert outlier["consecutive_5xx"] == 3
            assert outlier["enforcing_consecutive_5xx"] == 100
            assert outlier["consecutive_gateway_failure"] == 2
            assert outlier["enforcing_consecutive_gateway_failure"] == 100
            assert outlier["split_external_local_origin_errors"] is True
            assert outlier["consecutive_local_origin_failure"] == 1
            assert outlier["enforcing_consecutive_local_origin_failure"] == 100
            assert outlier["interval"] == "0.5s"
            assert outlier["base_ejection_time"] == "5s"
            assert outlier["max_ejection_percent"] == 50
            assert outlier["enforcing_success_rate"] == 0
            assert outlier["enforcing_local_origin_success_rate"] == 0
            (thresholds,) = cluster["circuit_breakers"]["thresholds"]
            assert thresholds["max_retries"] >= 64  # the default 3 turns retries into 503s
            for limit in ("max_connections", "max_pending_requests", "max_requests"):
                assert thresholds[limit] >= 1024


def test_health_checks_match_each_protocol(topology: Topology, edge: Config) -> None:
    for name, (spec, protocol) in topology.clusters().items():
        cluster = clusters(edge)[name]
        (check,) = cluster["health_checks"]
        assert check["interval"] == "1s"
        assert check["timeout"] == "0.5s"
        assert check["unhealthy_threshold"] == 2
        assert check["healthy_threshold"] == 1
        assert check["no_traffic_interval"] == "1s"
        assert check["reuse_connection"] is True
        explicit = protocol_options(cluster)["explicit_http_config"]
        if protocol == "grpc":
            assert check["grpc_health_check"] == {"service_name": spec.grpc_services[0]}
            assert "http2_protocol_options" in explicit
        else:
            assert check["http_health_check"]["path"] == "/healthz"
            assert check["http_health_check"]["expected_statuses"] == [{"start": 200, "end": 201}]
            assert "http_protocol_options" in explicit


def test_analytics_grpc_is_checked_by_its_service_name(edge: Config) -> None:
    (check,) = clusters(edge)["analytics_grpc"]["health_checks"]
    assert check["grpc_health_check"]["service_name"] == "capsure.analytics.v1.MarketDataService"


def test_lb_policy_follows_the_topology(topology: Topology, edge: Config) -> None:
    for name, (spec, _) in topology.clusters().items():
        assert clusters(edge)[name]["lb_policy"] == spec.lb_policy.upper()
    assert clusters(edge)["analytics_grpc"]["lb_policy"] == "LEAST_REQUEST"
    assert clusters(edge)["nft"]["lb_policy"] == "ROUND_ROBIN"


# --- retries and timeouts ----------------------------------------------------------------------


def test_non_idempotent_methods_retry_only_when_the_request_never_left(
    every_config: dict[str, Config],
) -> None:
    for config_name, config in every_config.items():
        for listener in listeners(config):
            if listener == "inbound":
                continue
            for route in routes(listeners(config)[listener]):
                if "retry_policy" not in route.get("route", {}):
                    continue
                policy = route["route"]["retry_policy"]
                assert policy["retry_host_predicate"][0]["name"] == (
                    "envoy.retry_host_predicates.previous_hosts"
                )
                assert policy["host_selection_retry_max_attempts"] == 3
                if not route["match"].get("headers"):  # POST, PATCH and gRPC
                    assert retry_on(route) == UNSENT_RETRY_ON, (config_name, route["name"])
                    assert "per_try_timeout" not in policy
                    assert policy["retriable_headers"] == [
                        {"name": NOT_FORWARDED, "string_match": {"exact": "true"}}
                    ]


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_post_is_never_retried_on_5xx_or_after_a_reset(edge: Config, method: str) -> None:
    route = resolve(edge, "edge", "/api/nfts", method)
    assert route["route"]["cluster"] == "nft"
    assert not retry_on(route) & {"5xx", "reset", "gateway-error", "retriable-status-codes"}
    assert route["route"]["timeout"] == "10s"


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_write_with_an_idempotency_key_retries_like_a_read(edge: Config, method: str) -> None:
    keyed = resolve(edge, "edge", "/api/nfts", method, headers={"Idempotency-Key": "k"})
    assert keyed["route"]["cluster"] == "nft"
    assert retry_on(keyed) == {"5xx", "reset", "connect-failure", "refused-stream"}
    assert keyed["route"]["retry_policy"]["per_try_timeout"] == "5s"


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"])
def test_idempotent_methods_retry_on_5xx_resets_and_connect_failures(
    edge: Config, method: str
) -> None:
    route = resolve(edge, "edge", "/api/nfts/42", method)
    assert retry_on(route) == {"5xx", "reset", "connect-failure", "refused-stream"}
    policy = route["route"]["retry_policy"]
    assert policy["num_retries"] == 2
    assert policy["per_try_timeout"] == "5s"  # half of rest_timeout_seconds: a retry still fits
    assert route["route"]["timeout"] == "10s"


def test_grpc_routes_never_cut_streams_and_retry_only_unsent_calls(
    every_config: dict[str, Config],
) -> None:
    grpc_clusters = {"analytics_grpc", "local_app_grpc"}
    seen = 0
    for config in every_config.values():
        for route in every_route(config):
            action = route.get("route", {})
            if action.get("cluster") not in grpc_clusters:
                continue
            seen += 1
            assert action["timeout"] == "0s"
            assert action["max_stream_duration"] == {"grpc_timeout_header_max": "0s"}
            if "retry_policy" in action:
                assert retry_on(route) == UNSENT_RETRY_ON
                assert "unavailable" not in action["retry_policy"]["retry_on"]
    assert seen


def test_idempotent_route_precedes_the_catch_all_of_its_prefix(edge: Config) -> None:
    edge_routes = routes(listeners(edge)["edge"])
    names = [route["name"] for route in edge_routes]
    assert len(set(names)) == len(names)
    for index, route in enumerate(edge_routes):
        if route["match"].get("headers") and "route" in route:
            # The next route without a header match is the same prefix's catch-all.
            other = next(r for r in edge_routes[index + 1 :] if not r["match"].get("headers"))
            assert other["route"]["cluster"] == route["route"]["cluster"]
            assert other["match"] == {k: v for k, v in route["match"].items() if k != "headers"}


# --- sidecars ----------------------------------------------------------------------------------


def test_sidecar_has_one_egress_per_peer_on_its_port(
    topology: Topology, instances: list[Instance], sidecars: dict[str, Config]
) -> None:
    for instance in instances:
        config = sidecars[instance.id]
        spec = instance.service
        egress = {
            name: lst
            for name, lst in listeners(config).items()
            if name not in ("inbound", METRICS_LISTENER)
        }
        # Every peer, and the registry (the app's registrar goes through its sidecar).
        assert set(egress) == {f"egress_{peer}" for peer in spec.egress} | {"egress_registry"}
        assert port_of(egress["egress_registry"]) == instance.ports.control
        assert {r["route"]["cluster"] for r in routes(egress["egress_registry"])} == {"registry"}
        for dependency, protocol in spec.egress.items():
            listener = egress[f"egress_{dependency}"]
            assert port_of(listener) == instance.ports.egress[dependency]
            assert listener["address"]["socket_address"]["address"] == "127.0.0.1"
            target = {r["route"]["cluster"] for r in routes(listener)}
            assert target == {cluster_name(dependency, protocol)}
            assert hcm(listener)["codec_type"] == "AUTO"


def test_sidecar_has_only_the_clusters_it_needs(
    instances: list[Instance], sidecars: dict[str, Config]
) -> None:
    # `user`: the JWKS of the identity service, fetched through the sidecar's own egress.
    expected = {
        "nft": {"local_app", "notification", "user"},
        "user": {"local_app", "nft"},
        "analytics": {"local_app", "local_app_grpc", "user"},
        "trading": {"local_app", "analytics_grpc", "notification", "nft", "user"},
        "notification": {"local_app", "user"},
    }
    control_plane = {"xds_cluster", "registry"}  # xDS for the sidecar, REST for the registrar
    control_plane.add(ENVOY_ADMIN)  # its own stats, for its metrics listener
    for instance in instances:
        wanted = expected[instance.service.name] | control_plane
        assert set(clusters(sidecars[instance.id])) == wanted


def test_local_app_clusters_point_at_the_instance_app(
    instances: list[Instance], sidecars: dict[str, Config]
) -> None:
    analytics = instance_named(instances, "analytics-2")
    local = clusters(sidecars["analytics-2"])
    for name, port, protocol_key in (
        ("local_app", analytics.ports.app_http, "http_protocol_options"),
        ("local_app_grpc", analytics.ports.app_grpc, "http2_protocol_options"),
    ):
        cluster = local[name]
        assert cluster["type"] == "STATIC"
        (endpoint,) = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"]
        assert endpoint["endpoint"]["address"]["socket_address"] == {
            "address": "127.0.0.1",
            "port_value": port,
        }
        assert protocol_key in protocol_options(cluster)["explicit_http_config"]
    # Envoy closes idle connections to uvicorn before uvicorn's 5 s keep-alive does.
    common = protocol_options(local["local_app"])["common_http_protocol_options"]
    assert common["idle_timeout"] == "4s"


def test_inbound_routes_grpc_paths_to_the_grpc_server_and_the_rest_to_http(
    instances: list[Instance], sidecars: dict[str, Config]
) -> None:
    config = sidecars["analytics-1"]
    inbound = listeners(config)["inbound"]
    assert port_of(inbound) == instance_named(instances, "analytics-1").ports.inbound
    assert hcm(inbound)["codec_type"] == "AUTO"
    for path in (
        "/capsure.analytics.v1.MarketDataService/StreamMarketData",
        "/capsure.analytics.v1.MarketDataService/StreamTickBatches",
        "/market.MarketDataService/SendMarketData",
        "/grpc.health.v1.Health/Check",  # the peers' gRPC health checks
    ):
        route = resolve(config, "inbound", path, "POST", grpc=True)
        assert route["route"]["cluster"] == "local_app_grpc"
        assert route["route"]["timeout"] == "0s"
    for path in ("/healthz", "/api/analytics/assets", "/api/analytics/ui/"):
        route = resolve(config, "inbound", path)
        assert route["route"]["cluster"] == "local_app"
        assert route["route"]["timeout"] == "10s"
        assert "retry_policy" not in route["route"]  # callers retry, on another instance


def test_inbound_of_a_rest_only_service_has_no_grpc_route(sidecars: dict[str, Config]) -> None:
    inbound = routes(listeners(sidecars["nft-1"])["inbound"])
    assert [route["route"]["cluster"] for route in inbound] == ["local_app", "local_app"]
    assert [route["name"] for route in inbound] == ["health", "local_app"]


def test_inbound_marks_answers_that_never_reached_the_app(sidecars: dict[str, Config]) -> None:
    for config in sidecars.values():
        mappers = hcm(listeners(config)["inbound"])["local_reply_config"]["mappers"]
        mapper, denied, *refusals = mappers
        assert denied["body_format_override"]["content_type"] == "application/problem+json"
        assert refusals == listener_refusal_mappers()  # a bad path or header name: problems
        assert set(mapper["filter"]["response_flag_filter"]["flags"]) == {"UF", "UO", "UH"}
        assert mapper["headers_to_add"][0]["header"] == {"key": NOT_FORWARDED, "value": "true"}


def test_trading_egress_reaches_analytics_over_grpc(sidecars: dict[str, Config]) -> None:
    route = resolve(sidecars["trading-1"], "egress_analytics", "/market.MarketDataService/X")
    assert route["route"]["cluster"] == "analytics_grpc"
    assert route["route"]["timeout"] == "0s"


def test_every_service_but_the_issuer_reaches_the_jwks_through_its_own_egress(
    instances: list[Instance], sidecars: dict[str, Config]
) -> None:
    for instance in instances:
        egress = listeners(sidecars[instance.id])
        if instance.service.name == "user":
            assert "egress_user" not in egress  # the issuer reads its own keyring
            continue
        route = resolve(sidecars[instance.id], "egress_user", "/api/users/.well-known/jwks.json")
        assert route["route"]["cluster"] == "user"
        assert "5xx" in retry_on(route)  # a GET: retried on another instance
        assert port_of(egress["egress_user"]) == instance.ports.egress["user"]


def test_user_egress_retries_reads_not_writes(sidecars: dict[str, Config]) -> None:
    read = resolve(sidecars["user-2"], "egress_nft", "/api/nfts/user/7", "GET")
    write = resolve(sidecars["user-2"], "egress_nft", "/api/nfts", "POST")
    assert read["route"]["cluster"] == write["route"]["cluster"] == "nft"
    assert "5xx" in retry_on(read)
    assert "5xx" not in retry_on(write)


# --- edge --------------------------------------------------------------------------------------


def test_edge_serves_every_mesh_cluster_and_no_local_app(topology: Topology, edge: Config) -> None:
    assert {c["name"] for c in eds_clusters(edge)} == set(topology.clusters())
    assert set(clusters(edge)) == {*topology.clusters(), "xds_cluster"}


def test_edge_listener_defaults_and_overrides(topology: Topology, edge: Config) -> None:
    (listener,) = listeners(edge).values()
    assert listener["address"]["socket_address"] == {
        "address": "127.0.0.1",
        "port_value": topology.edge.port,
    }
    assert edge["admin"]["address"]["socket_address"]["port_value"] == topology.edge.admin_port
    moved = edge_of(topology, listen_host="0.0.0.0", admin_port=1901, port=1080)
    (listener,) = listeners(moved).values()
    assert listener["address"]["socket_address"] == {"address": "0.0.0.0", "port_value": 1080}
    assert moved["admin"]["address"]["socket_address"] == {
        "address": "127.0.0.1",
        "port_value": 1901,
    }


def test_edge_is_hardened(edge: Config) -> None:
    listener = listeners(edge)["edge"]
    assert listener["per_connection_buffer_limit_bytes"] == 32768
    manager = hcm(listener)
    assert manager["stat_prefix"] == "edge"
    assert manager["codec_type"] == "AUTO"
    assert manager["use_remote_address"] is True
    assert manager["xff_num_trusted_hops"] == 0
    assert manager["normalize_path"] is True
    assert manager["merge_slashes"] is True
    assert manager["path_with_escaped_slashes_action"] == "REJECT_REQUEST"
    assert manager["max_request_headers_kb"] == 60
    assert manager["request_headers_timeout"] == "10s"
    assert manager["stream_idle_timeout"] == "300s"
    assert manager["request_timeout"] == "0s"  # would cut long client streams
    common = manager["common_http_protocol_options"]
    assert common["idle_timeout"] == "3600s"
    assert common["headers_with_underscores_action"] == "REJECT_REQUEST"
    assert common["max_headers_count"] == 100  # named in the 431's detail
    assert "max_connection_duration" not in common
    assert manager["http2_protocol_options"] == {
        "max_concurrent_streams": 100,
        "initial_stream_window_size": 65536,
        "initial_connection_window_size": 1048576,
    }
    assert manager["route_config"]["response_headers_to_remove"] == [NOT_FORWARDED]


def test_edge_overload_manager(edge: Config) -> None:
    overload = edge["overload_manager"]
    monitors = {m["name"]: m["typed_config"] for m in overload["resource_monitors"]}
    heap = monitors["envoy.resource_monitors.fixed_heap"]
    assert heap["max_heap_size_bytes"] == 512 * 1024 * 1024
    connections = monitors["envoy.resource_monitors.global_downstream_max_connections"]
    assert connections["max_active_downstream_connections"] > 0
    actions = {a["name"]: a["triggers"][0] for a in overload["actions"]}
    assert set(actions) == {
        "envoy.overload_actions.shrink_heap",
        "envoy.overload_actions.stop_accepting_requests",
    }
    assert all(t["name"] == "envoy.resource_monitors.fixed_heap" for t in actions.values())


def test_edge_routes_every_api_prefix_and_grpc_service(topology: Topology, edge: Config) -> None:
    for spec in topology.services.values():
        for path in (spec.api_prefix, f"{spec.api_prefix}/ui/", f"{spec.api_prefix}/openapi.json"):
            assert resolve(edge, "edge", path)["route"]["cluster"] == spec.name
        for service in spec.grpc_services:
            route = resolve(edge, "edge", f"/{service}/Method", "POST", grpc=True)
            assert route["route"]["cluster"] == cluster_name(spec.name, "grpc")


def test_edge_answers_unrouted_paths_with_its_own_404_last(edge: Config) -> None:
    edge_routes = routes(listeners(edge)["edge"])
    last = edge_routes[-1]
    assert [r["direct_response"]["status"] for r in edge_routes if "direct_response" in r] == [
        501,
        404,
    ]
    assert last["match"] == {"prefix": "/"}
    # No body of its own: the edge's local replies make it a problem (test_edge_refusals.py).
    assert last["direct_response"] == {"status": 404}
    for path in ("/", "/api/nftsfoo", "/api/unknown", "/grpc.health.v1.Health/Check"):
        assert resolve(edge, "edge", path) is last
    # A gRPC path without gRPC's content type does not reach the gRPC server.
    assert resolve(edge, "edge", "/market.MarketDataService/SendMarketData", "POST") is last


@pytest.mark.parametrize("method", ["TRACE", "FOO", "PROPFIND", "get", "GETX"])
def test_a_method_no_api_serves_gets_the_edges_501_first(edge: Config, method: str) -> None:
    first = routes(listeners(edge)["edge"])[0]
    assert first["direct_response"] == {"status": 501}
    for path in ("/", "/api/nfts", "/market.MarketDataService/SendMarketData"):
        assert resolve(edge, "edge", path, method) is first


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "POST", "PATCH"])
def test_every_method_an_api_serves_passes_the_method_check(edge: Config, method: str) -> None:
    assert "route" in resolve(edge, "edge", "/api/nfts", method)


def test_every_http_listener_drops_x_envoy_request_headers_first(
    every_config: dict[str, Config],
) -> None:
    """Every HCM of the mesh (edge, sidecar inbound and egress): before routing and filters."""
    for config in every_config.values():
        for name, listener in listeners(config).items():
            (early,) = hcm(listener)["early_header_mutation_extensions"]
            assert early["name"] == "envoy.http.early_header_mutation.header_mutation", name
            assert early["typed_config"]["mutations"] == [
                {"remove_on_match": {"key_matcher": {"prefix": "x-envoy-", "ignore_case": True}}}
            ]


def test_every_http_listener_normalises_paths_and_refuses_underscores(
    topology: Topology, every_config: dict[str, Config]
) -> None:
    """Every HCM of the mesh (edge, sidecar inbound and egress, the registry's sidecar): RBAC
    and routes judge the one spelling of a path the app is then given."""
    registry = registry_sidecar_config(
        topology, tls=tls_for("registry"), rest_app=1, xds_app=2, admin_port=3
    )
    for config in [*every_config.values(), registry]:
        for name, listener in listeners(config).items():
            manager = hcm(listener)
            assert manager["normalize_path"] is True, name
            assert manager["merge_slashes"] is True, name
            assert manager["path_with_escaped_slashes_action"] == "REJECT_REQUEST", name
            common = manager["common_http_protocol_options"]
            assert common["headers_with_underscores_action"] == "REJECT_REQUEST", name


# --- writing -----------------------------------------------------------------------------------


def test_write_config_round_trips_and_replaces_atomically(tmp_path: Path, edge: Config) -> None:
    path = tmp_path / "envoy" / "edge.yaml"
    assert write_config(edge, path) == path
    assert yaml.safe_load(path.read_text()) == edge
    inode = path.stat().st_ino
    write_config({"node": {"id": "x", "cluster": "y"}}, path)
    assert yaml.safe_load(path.read_text()) == {"node": {"id": "x", "cluster": "y"}}
    assert path.stat().st_ino != inode  # a new file renamed over the old one, not rewritten
    assert os.listdir(path.parent) == ["edge.yaml"]  # no temp file left behind


def test_write_config_failure_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "edge.yaml"
    write_config({"node": {"id": "old"}}, path)
    with pytest.raises(yaml.representer.RepresenterError):
        write_config({"node": {"id": object()}}, path)
    assert yaml.safe_load(path.read_text()) == {"node": {"id": "old"}}
    assert os.listdir(tmp_path) == ["edge.yaml"]


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0s"), (0.25, "0.25s"), (1, "1s"), (10.0, "10s"), (3600, "3600s")]
)
def test_duration(seconds: float, text: str) -> None:
    assert duration(seconds) == text
