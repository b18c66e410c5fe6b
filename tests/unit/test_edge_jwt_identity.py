"""The identity block of mesh/mesh.yaml: every service but the issuer fetches the issuer's
JWKS through its own sidecar (an egress like an http dependency's, not a start-order edge),
and every app is told who issues tokens and where the JWKS is."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml

from mesh.processes import app_environment
from mesh.runner import Mesh, MeshPorts
from mesh.topology import MESH_FILE, Instance, InstancePorts, Topology, load_topology

pytestmark = pytest.mark.unit

TOPOLOGY = load_topology()
JWKS_PATH = "/api/users/.well-known/jwks.json"


def instance_of(topology: Topology, name: str) -> Instance:
    ports = itertools.count(21000)
    spec = topology.services[name]
    return Instance(spec, f"{name}-1", InstancePorts.allocate(spec, ports.__next__))


def test_the_identity_block_is_parsed() -> None:
    identity = TOPOLOGY.identity
    assert identity is not None
    assert (identity.service, identity.issuer, identity.audience) == (
        "user",
        "capsure-user",
        "capsure",
    )
    assert identity.jwks_path == JWKS_PATH
    assert identity.jwks_cache_seconds == 30.0
    assert all(spec.identity == identity for spec in TOPOLOGY.services.values())


def test_every_service_but_the_issuer_has_an_egress_to_it() -> None:
    for name, spec in TOPOLOGY.services.items():
        if name == "user":
            assert spec.egress == {"nft": "http"}  # no egress to itself
            assert not spec.fetches_jwks
        else:
            assert spec.egress == {**spec.depends_on, "user": "http"}
            assert spec.fetches_jwks
            assert "user" not in spec.depends_on  # not a dependency
        assert set(instance_of(TOPOLOGY, name).ports.egress) == set(spec.egress)


@pytest.fixture
def without_identity(tmp_path: Path) -> Topology:
    """mesh/mesh.yaml without its identity block (nor grpc_roles, which need one)."""
    raw = yaml.safe_load(MESH_FILE.read_text())
    raw.pop("identity")
    for service in raw["services"].values():
        service.pop("grpc_roles", None)
    path = tmp_path / "mesh.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return load_topology(path)


def test_start_order_ignores_the_jwks_egress(without_identity: Topology) -> None:
    order = [spec.name for spec in TOPOLOGY.start_order()]
    assert order.index("nft") < order.index("user")  # user -> nft still holds: no cycle
    assert order.index("analytics") < order.index("trading")
    assert order == [spec.name for spec in without_identity.start_order()]


def test_without_identity_there_is_no_jwks_egress(without_identity: Topology) -> None:
    assert without_identity.identity is None
    for spec in without_identity.services.values():
        assert spec.egress == spec.peers
    assert set(without_identity.only({"analytics"}).services) == {"analytics"}


@pytest.mark.parametrize("wanted", [{"analytics"}, {"nft"}, {"trading"}, {"user"}])
def test_a_partial_mesh_always_has_the_identity_service(wanted: set[str]) -> None:
    partial = TOPOLOGY.only(wanted)
    assert {"user", "nft"} <= set(partial.services)  # the issuer, and what it depends on
    assert wanted <= set(partial.services)
    assert partial.identity == TOPOLOGY.identity


def test_the_app_environment_points_at_the_jwks_through_its_own_egress(tmp_path: Path) -> None:
    for name in TOPOLOGY.services:
        instance = instance_of(TOPOLOGY, name)
        peers = {peer: f"127.0.0.1:{port}" for peer, port in instance.ports.egress.items()}
        env = app_environment(instance, tmp_path, peers)
        assert env["CAPSURE_JWT_ISSUER"] == "capsure-user"
        assert env["CAPSURE_JWKS_CACHE_SECONDS"] == "30"
        if name == "user":
            assert "CAPSURE_JWKS_URL" not in env  # it reads its own keyring
            assert env["NFT_ADDR"] == peers["nft"]
        else:
            port = instance.ports.egress["user"]
            assert env["CAPSURE_JWKS_URL"] == f"http://127.0.0.1:{port}{JWKS_PATH}"
            # The JWKS alone is no reason to be told where user is; a call is (nft's receivers).
            assert ("USER_ADDR" in env) == ("user" in TOPOLOGY.services[name].peers)
            if "USER_ADDR" in env:
                assert env["USER_ADDR"] == peers["user"]  # the same egress as the JWKS


def test_make_run_gives_each_instance_its_own_egress_for_the_jwks(tmp_path: Path) -> None:
    ports = itertools.count(22000)
    mesh = Mesh(
        TOPOLOGY, MeshPorts(8500, 18000, 8080, 9901, 15090, 15091), ports.__next__, tmp_path
    )
    for name in ("nft", "trading", "analytics"):
        instance = instance_of(TOPOLOGY, name)
        url = mesh._app_env(instance)["CAPSURE_JWKS_URL"]
        assert url == f"http://127.0.0.1:{instance.ports.egress['user']}{JWKS_PATH}"
    assert "CAPSURE_JWKS_URL" not in mesh._app_env(instance_of(TOPOLOGY, "user"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"service": "nobody"}, "unknown service"),
        ({"jwks_path": "api/jwks.json"}, "jwks_path"),
        ({"jwks_path": "/jwks.json?x=1"}, "jwks_path"),
        ({"issuer": ""}, "issuer"),
        ({"jwks_cache_seconds": 0}, "jwks_cache_seconds"),
    ],
)
def test_a_bad_identity_block_is_refused(tmp_path: Path, change: dict, message: str) -> None:
    raw = yaml.safe_load(MESH_FILE.read_text())
    raw["identity"].update(change)
    path = tmp_path / "mesh.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.raises(ValueError, match=message):
        load_topology(path)
