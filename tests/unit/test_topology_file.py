"""mesh.yaml as the loader reads it: a valid file gives the topology it always gave."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from mesh.topology import Topology, load_topology

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).with_name("fixtures")
# mesh/mesh.yaml as it was when the loader became typed, and the topology the hand-written
# loader before it read from that file (dataclasses.asdict, as JSON): the typed loader must give
# the same values, of the same types, in the same order (egress ports are allocated in order).
MESH_FIXTURE = FIXTURES / "mesh.yaml"
TOPOLOGY_SNAPSHOT = FIXTURES / "mesh_topology.json"


def as_json(topology: Topology) -> str:
    return json.dumps(dataclasses.asdict(topology), indent=2) + "\n"


def test_a_valid_file_loads_to_the_topology_it_always_gave() -> None:
    assert as_json(load_topology(MESH_FIXTURE)) == TOPOLOGY_SNAPSHOT.read_text()
