"""docker-compose.yml against the mesh description: no Docker engine here, so the file is
parsed and checked — every service, port, config file and dependency consistent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from mesh.compose import COMPOSE_FILE, ENVOY_DIR, envoy_configs, instances
from mesh.topology import load_topology

pytestmark = pytest.mark.unit

TOPOLOGY = load_topology()
ROOT = COMPOSE_FILE.parent


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def _config_of(container: dict[str, Any]) -> Path:
    path = container["command"][container["command"].index("-c") + 1]
    return ROOT / ENVOY_DIR / Path(path).name


def _listener_ports(config: dict[str, Any]) -> dict[str, int]:
    return {
        listener["name"]: listener["address"]["socket_address"]["port_value"]
        for listener in config["static_resources"]["listeners"]
    }


def test_the_committed_deployment_is_what_the_generator_writes(tmp_path):
    from mesh.compose import write_deployment

    write_deployment(TOPOLOGY, tmp_path)
    assert (tmp_path / "docker-compose.yml").read_text() == COMPOSE_FILE.read_text(), (
        "docker-compose.yml is stale: run `make compose`"
    )
    for name in envoy_configs(TOPOLOGY):
        fresh = (tmp_path / ENVOY_DIR / name).read_text()
        assert fresh == (ROOT / ENVOY_DIR / name).read_text(), f"{name} is stale"


def test_every_instance_has_a_sidecar_an_app_and_a_database(compose):
    services = compose["services"]
    for spec in TOPOLOGY.services.values():
        assert f"{spec.name}-db" in services
        for n in range(1, spec.instances + 1):
            sidecar, app = services[f"{spec.name}-{n}"], services[f"{spec.name}-{n}-app"]
            assert app["network_mode"] == f"service:{spec.name}-{n}"
            assert app["command"] == ["python", "-m", spec.module]
            assert set(app["depends_on"]) == {
                f"{spec.name}-{n}",
                f"{spec.name}-db",
                "registry-app",
            }
            assert all(d["condition"] == "service_healthy" for d in app["depends_on"].values())
            assert _config_of(sidecar).exists()
    expected = {"identity", "registry", "registry-app", "edge"}
    expected |= {f"{s}-db" for s in TOPOLOGY.services}
    expected |= {i.id for i in instances(TOPOLOGY)} | {f"{i.id}-app" for i in instances(TOPOLOGY)}
    assert set(services) == expected
    assert all("healthcheck" in container for container in services.values())


def test_apps_reach_dependencies_only_through_their_own_sidecar_egress(compose):
    for instance in instances(TOPOLOGY):
        spec = instance.service
        env = compose["services"][f"{instance.id}-app"]["environment"]
        sidecar = yaml.safe_load(_config_of(compose["services"][instance.id]).read_text())
        ports = _listener_ports(sidecar)
        assert ports["inbound"] == int(env[f"{spec.env_prefix}ADVERTISE_ADDR"].split(":")[1])
        assert env[f"{spec.env_prefix}ADVERTISE_ADDR"].split(":")[0] == instance.id
        for dependency in spec.depends_on:
            host, port = env[f"{dependency.upper()}_ADDR"].split(":")
            assert (host, int(port)) == ("127.0.0.1", ports[f"egress_{dependency}"])
        # One egress per peer, and one to the registry (REGISTRY_ADDR).
        assert len([n for n in ports if n.startswith("egress_")]) == len(spec.egress) + 1
        host, port = env["REGISTRY_ADDR"].split(":")
        assert (host, int(port)) == ("127.0.0.1", ports["egress_registry"])
        assert env[f"{spec.env_prefix}DATABASE_URL"].split("@")[1].startswith(f"{spec.name}-db:")
        # The app's own port is what its sidecar forwards to.
        local = {c["name"]: c for c in sidecar["static_resources"]["clusters"]}["local_app"]
        endpoint = local["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
        assert endpoint["address"]["socket_address"]["port_value"] == int(
            env[f"{spec.env_prefix}PORT"]
        )


def test_every_envoy_finds_the_registry_and_only_the_edge_is_published(compose):
    services = compose["services"]
    registry = TOPOLOGY.registry
    assert services["edge"]["ports"] == [f"{TOPOLOGY.edge.port}:{TOPOLOGY.edge.port}"]
    assert [name for name, c in services.items() if "ports" in c] == ["edge"]
    for name in ["edge", *(i.id for i in instances(TOPOLOGY))]:
        config = yaml.safe_load(_config_of(services[name]).read_text())
        xds = {c["name"]: c for c in config["static_resources"]["clusters"]}["xds_cluster"]
        endpoint = xds["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
        assert endpoint["address"]["socket_address"] == {
            "address": "registry",
            "port_value": registry.xds_port,
        }


def test_apps_fetch_the_jwks_through_their_own_sidecar_egress(compose):
    identity = TOPOLOGY.identity
    assert identity is not None
    for instance in instances(TOPOLOGY):
        env = compose["services"][f"{instance.id}-app"]["environment"]
        assert env["CAPSURE_JWT_ISSUER"] == identity.issuer
        assert "CAPSURE_JWT_SECRET" not in env  # RS256: nothing shared to keep secret
        if instance.service.name == identity.service:
            assert "CAPSURE_JWKS_URL" not in env
            continue
        sidecar = yaml.safe_load(_config_of(compose["services"][instance.id]).read_text())
        port = _listener_ports(sidecar)[f"egress_{identity.service}"]
        assert env["CAPSURE_JWKS_URL"] == f"http://127.0.0.1:{port}{identity.jwks_path}"
        # USER_ADDR only where the service calls user itself, not merely for the JWKS.
        assert ("USER_ADDR" in env) == (identity.service in instance.service.peers)


def test_the_issuers_instances_share_their_signing_keys(compose):
    apps = [f"user-{n}-app" for n in range(1, TOPOLOGY.services["user"].instances + 1)]
    mounts = {tuple(compose["services"][app]["volumes"]) for app in apps}
    assert mounts == {("user-signing-keys:/var/lib/capsure/signing-keys",)}
    assert "user-signing-keys" in compose["volumes"]
    for app in apps:
        env = compose["services"][app]["environment"]
        assert env["USER_SIGNING_KEYS_DIR"] == "/var/lib/capsure/signing-keys"
    others = [name for name in compose["services"] if name.endswith("-app") and name not in apps]
    assert all("volumes" not in compose["services"][name] for name in others)


def test_every_envoy_holds_only_its_own_identity_from_the_node_agent(compose):
    services = compose["services"]
    envoys = ["edge", "registry", *(i.id for i in instances(TOPOLOGY))]
    agent = services["identity"]
    command = agent["command"]
    issued = {
        command[i + 1].partition("=")[0]: command[i + 1].partition("=")[2]
        for i, word in enumerate(command)
        if word == "--workload"
    }
    # Each instance is named for its service and its host (its container's name).
    expected = {"edge": "edge", "registry": "registry@registry"}
    expected |= {i.id: f"{i.service.name}@{i.id}" for i in instances(TOPOLOGY)}
    assert issued == expected
    for name in envoys:
        container = services[name]
        identity_mounts = [v for v in container["volumes"] if v.startswith("identity-")]
        assert identity_mounts == [f"identity-{name}:/etc/capsure/identity:ro"]
        assert container["depends_on"]["identity"] == {"condition": "service_healthy"}
        assert f"identity-{name}:/var/lib/capsure/identity/{name}" in agent["volumes"]
    # Apps hold no certificate: their sidecars speak TLS for them.
    apps = [name for name in services if name.endswith("-app")]
    for app in apps:
        assert not any(v.startswith("identity-") for v in services[app].get("volumes", []))
