"""A generated Envoy (the edge, a sidecar) run for real in front of one small test upstream.

Every mesh cluster (and a sidecar's local app) points at the upstream on a free port: it serves
the JWKS at the identity service's path, answers health checks, and echoes every other
request's headers, recording it. No registry, no apps: what reaches the upstream is exactly what
the Envoy forwarded.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from mesh.envoy import edge_config, sidecar_config
from mesh.envoy.clusters import ControlPlane
from mesh.envoy.common import without_control_plane
from mesh.envoy.edge import EDGE
from mesh.envoy.policies import HEALTH_PATH
from mesh.envoy.tls import MeshTls
from mesh.ports import free_port
from mesh.processes import EnvoyProcess, start_envoy
from mesh.runner import wait_edge_has_jwks
from mesh.topology import HOST, Instance, InstancePorts, Topology, load_topology
from tests.support.envoy_configs import hcm

JWKS_WITHIN_SECONDS = 10.0


@dataclass
class Upstream:
    """What the mesh behind the Envoy saw: every request but JWKS fetches and health checks."""

    jwks: dict[str, Any]
    port: int = 0
    seen: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def requests_to(self, path: str) -> list[dict[str, str]]:
        with self.lock:
            return [headers for _, seen_path, headers in self.seen if seen_path == path]

    def mark(self) -> int:
        """Where the record ends now: `paths_since(mark)` is what came after."""
        with self.lock:
            return len(self.seen)

    def paths_since(self, mark: int) -> list[str]:
        """The paths of the requests recorded after `mark`, as the upstream was given them."""
        with self.lock:
            return [path for _, path, _ in self.seen[mark:]]


def serve(upstream: Upstream, jwks_path: str) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == jwks_path:
                self._answer(upstream.jwks)
            elif self.path == HEALTH_PATH:
                self._answer({"status": "ok"})
            else:
                self._echo()

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self._echo()

        do_PUT = do_DELETE = do_POST

        def _echo(self) -> None:
            headers = {name.lower(): value for name, value in self.headers.items()}
            with upstream.lock:
                upstream.seen.append((self.command, self.path, headers))
            self._answer({"headers": headers})

        def _answer(self, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((HOST, free_port()), Handler)
    threading.Thread(target=server.serve_forever, name="upstream", daemon=True).start()
    return server


@contextmanager
def serving(upstream: Upstream, jwks_path: str) -> Iterator[Upstream]:
    """`upstream` on a free port for the body of the `with`."""
    server = serve(upstream, jwks_path)
    upstream.port = server.server_address[1]
    try:
        yield upstream
    finally:
        server.shutdown()
        server.server_close()


def edge_against(topology: Topology, upstream_port: int, port: int, admin: int) -> dict[str, Any]:
    """The generated edge with every mesh cluster on the test's upstream, without xDS, in
    plaintext (the upstream is no mesh workload: tests/integration/test_mtls_envoy.py runs
    the mTLS hops)."""
    config = edge_config(topology, ControlPlane.nowhere(), tls=None, port=port, admin_port=admin)
    return without_control_plane(config, {}, default_port=upstream_port)


def sidecar_against(
    topology: Topology, service: str, upstream_port: int, tls: MeshTls | None = None
) -> tuple[Instance, dict[str, Any]]:
    """The generated sidecar of one instance of a REST-only `service` on free ports, its app
    and every peer being the test's upstream, without xDS. `tls`: its identity (its inbound
    then takes only mTLS callers, judged by RBAC), else plaintext."""
    spec = topology.services[service]
    ports = replace(InstancePorts.allocate(spec, free_port), app_http=upstream_port, app_grpc=None)
    instance = Instance(spec, f"{service}-1", ports)
    config = sidecar_config(topology, instance, ControlPlane.nowhere(), tls=tls)
    return instance, without_control_plane(config, {}, default_port=upstream_port)


@contextmanager
def running(name: str, config: dict[str, Any], admin: int, workdir: Path) -> Iterator[EnvoyProcess]:
    """Envoy on `config`, live, for the body of the `with`; always stopped."""
    process = start_envoy(name, config, admin, workdir, workdir)
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


@contextmanager
def running_edge(
    upstream: Upstream, workdir: Path, **hcm_overrides: Any
) -> Iterator[tuple[EnvoyProcess, int]]:
    """The generated edge in front of `upstream`, once it holds the JWKS (the readiness wait
    `make run` uses): its process and port. `hcm_overrides` replace settings of its HTTP
    connection manager (a shorter timeout, ...)."""
    port, admin = free_port(), free_port()
    config = edge_against(load_topology(), upstream.port, port, admin)
    (listener,) = config["static_resources"]["listeners"]
    hcm(listener).update(hcm_overrides)
    with running(EDGE, config, admin, workdir) as process:
        wait_edge_has_jwks(process, JWKS_WITHIN_SECONDS)
        yield process, port
