"""Reads mesh/mesh.yaml and turns it into what each service process needs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Literal

import yaml

MESH_FILE = Path(__file__).with_name("mesh.yaml")
Protocol = Literal["http", "grpc"]
HOST = "127.0.0.1"


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    http_port: int
    api_prefix: str
    grpc_port: int | None = None
    depends_on: Mapping[str, Protocol] = field(default_factory=dict)

    @property
    def env_prefix(self) -> str:
        return f"{self.name.upper()}_"

    def address(self, protocol: Protocol) -> str:
        port = self.grpc_port if protocol == "grpc" else self.http_port
        if port is None:
            raise ValueError(f"{self.name} has no {protocol} port")
        return f"{HOST}:{port}"


@dataclass(frozen=True)
class Topology:
    services: Mapping[str, ServiceSpec]

    def start_order(self) -> list[ServiceSpec]:
        """Dependencies before their dependants."""
        graph = {name: set(spec.depends_on) for name, spec in self.services.items()}
        return [self.services[name] for name in TopologicalSorter(graph).static_order()]

    def environment(self, name: str, data_dir: Path) -> dict[str, str]:
        """Settings of one service process: its ports, data dir and its dependencies' addresses."""
        spec = self.services[name]
        env = {
            f"{spec.env_prefix}HOST": HOST,
            f"{spec.env_prefix}PORT": str(spec.http_port),
            f"{spec.env_prefix}DATA_DIR": str(data_dir),
        }
        if spec.grpc_port is not None:
            env[f"{spec.env_prefix}GRPC_PORT"] = str(spec.grpc_port)
        for dependency, protocol in spec.depends_on.items():
            env[f"{dependency.upper()}_ADDR"] = self.services[dependency].address(protocol)
        return env

    def with_ports(self, next_port: Callable[[], int]) -> Topology:
        """The same topology on other ports (tests use free ones)."""
        return Topology(
            {
                name: replace(
                    spec,
                    http_port=next_port(),
                    grpc_port=next_port() if spec.grpc_port is not None else None,
                )
                for name, spec in self.services.items()
            }
        )


def load_topology(path: Path = MESH_FILE) -> Topology:
    raw = yaml.safe_load(path.read_text())["services"]
    services = {
        name: ServiceSpec(
            name=name,
            module=entry["module"],
            http_port=int(entry["http_port"]),
            api_prefix=entry["api_prefix"],
            grpc_port=int(entry["grpc_port"]) if "grpc_port" in entry else None,
            depends_on=dict(entry.get("depends_on") or {}),
        )
        for name, entry in raw.items()
    }
    for spec in services.values():
        unknown = set(spec.depends_on) - set(services)
        if unknown:
            raise ValueError(f"{spec.name} depends on unknown services {sorted(unknown)}")
    return Topology(services)
