"""`calls`: peers a service asks while serving, which never order start-up."""

from pathlib import Path

import pytest
import yaml

from mesh.processes import app_environment
from mesh.topology import MESH_FILE, Instance, InstancePorts, load_topology

TOPOLOGY = load_topology()


def test_nft_and_user_call_each_other_and_still_start_in_order() -> None:
    nft, user = TOPOLOGY.services["nft"], TOPOLOGY.services["user"]
    assert "user" in nft.calls and "nft" in user.depends_on  # a cycle of calls ...
    order = [spec.name for spec in TOPOLOGY.start_order()]
    assert order.index("nft") < order.index("user")  # ... but not of start-up
    assert order.index("nft") < order.index("trading")


def test_a_called_peer_gets_an_address_and_an_egress(tmp_path: Path) -> None:
    nft = TOPOLOGY.services["nft"]
    ports = iter(range(30000, 30100))
    instance = Instance(nft, "nft-1", InstancePorts.allocate(nft, lambda: next(ports)))
    peers = {peer: f"127.0.0.1:{port}" for peer, port in instance.ports.egress.items()}
    env = app_environment(instance, tmp_path, peers)
    assert env["USER_ADDR"] == peers["user"]
    assert env["NOTIFICATION_ADDR"] == peers["notification"]


def test_only_brings_the_called_peers_along() -> None:
    assert {"nft", "user", "notification"} <= set(TOPOLOGY.only({"nft"}).services)


@pytest.mark.parametrize(
    ("calls", "message"),
    [({"notification": "http"}, "both depends_on and calls"), ({"ghost": "http"}, "unknown")],
)
def test_bad_calls_are_refused(tmp_path: Path, calls: dict[str, str], message: str) -> None:
    raw = yaml.safe_load(MESH_FILE.read_text())
    raw["services"]["nft"]["calls"] = calls
    path = tmp_path / "mesh.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.raises(ValueError, match=message):
        load_topology(path)
