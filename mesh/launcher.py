"""`make run`: the whole mesh on this host — registry, edge Envoy, and every service with its
sidecar (stateless services twice) — on SQLite; prints where everything is; Ctrl-C drains and
stops it all.

A small launcher rather than honcho or supervisord: it derives every process, port and Envoy
config from mesh/mesh.yaml, waits for readiness in the right order, adds and removes instances
while running (`python -m mesh.ctl`), restarts an app or sidecar that exits or hangs
(mesh/supervisor.py; `make status` shows restarts), and is the same code the end-to-end tests
start.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mesh.restarts import exit_reason
from mesh.zygote_client import Zygote

if TYPE_CHECKING:
    from mesh.runner import Mesh
    from mesh.supervisor import Supervisor

COLUMNS = (
    *("SERVICE", "INSTANCE", "HEALTH", "RESTARTS"),
    *("SIDECAR INBOUND", "APP", "SIDECAR ADMIN", "METRICS"),
)


def status_table(mesh: Mesh, supervisor: Supervisor | None = None) -> str:
    from mesh.control import mesh_status

    rows = [COLUMNS]
    for name, instances in mesh_status(mesh, supervisor)["services"].items():
        for i in instances:
            health, restarts = _health(i), _restarts(i)
            where = (i["inbound"], i["app"], i["sidecar_admin"], i["metrics"])
            rows.append((name, i["id"], health, restarts, *where))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    prefixes = [spec.api_prefix for spec in mesh.topology.services.values()]
    return "\n".join(
        [
            *lines,
            "",
            f"Edge (the only public entry): {mesh.edge_url}",
            f"  REST: {', '.join(prefixes)}   Swagger UI: <prefix>/ui/",
            f"  gRPC: {mesh.edge_url.removeprefix('http://')} (h2c)",
            f"Registry: {mesh.registry_url}/api/registry/services (mTLS; as the operator:"
            f" curl {mesh.operator.curl_options()} …)",
        ]
    )


def _health(instance: dict[str, Any]) -> str:
    if any(p["crash_looping"] for p in instance.get("processes", {}).values()):
        return "crash-loop"
    return "ok" if instance["healthy"] else "failing"


def _restarts(instance: dict[str, Any]) -> str:
    """`2 (app: killed by SIGKILL)`: how often, and the last reason; `-` when unsupervised."""
    if "restarts" not in instance:
        return "-"
    reasons = [
        f"{part}: {p['last_reason']}"
        for part, p in instance["processes"].items()
        if p["last_reason"]
    ]
    return (
        f"{instance['restarts']} ({'; '.join(reasons)})" if reasons else str(instance["restarts"])
    )


def control_plane_gone(mesh: Mesh) -> str | None:
    """What of the registry, its sidecar and the edge has exited, or None while all run. The
    supervisor heals instances only: without the registry (or its sidecar, every Envoy's and
    app's only way to it) there is no control plane, without the edge no way in."""
    core = (
        ("the registry", mesh.registry),
        ("the registry's sidecar", mesh.registry_sidecar),
        ("the edge", mesh.edge),
    )
    for name, process in core:
        if process is None:
            return f"{name} is not running"
        if not process.running:
            return f"{name}: {exit_reason(process.process.returncode)}"
    return None


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM behaves like Ctrl-C, so `kill <launcher>` also stops the mesh gracefully."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("var"))
    parser.add_argument(
        "--no-restart",
        action="store_true",
        help="do not restart an app or sidecar that exits or hangs (to look at a crash)",
    )
    parser.add_argument(
        "--spawn",
        action="store_true",
        help="start every app as its own interpreter (slower: each imports everything),"
        " not forked from one preloaded parent",
    )
    parser.add_argument(
        "--certificate-ttl-seconds",
        type=float,
        default=None,
        help="lifetime of each workload certificate (renewed at half of it); default 1 h",
    )
    parser.add_argument(
        "--traces",
        action="store_true",
        help="trace every request into a local trace store on 127.0.0.1:4318"
        " (read with `python -m mesh.ctl trace <trace-id>`); without it, traces go where"
        " OTEL_EXPORTER_OTLP_ENDPOINT says, if set",
    )
    args = parser.parse_args(argv)
    # First of all, the preloaded parent: it imports the services' stack (seconds) while this
    # process imports its own and starts everything else.
    preloaded = (
        None if args.spawn else Zygote(args.workdir / "log", (), args.workdir / "cache" / "python")
    )
    from mesh.control import control_endpoint
    from mesh.envoy.tracing import TraceExport, trace_export_from
    from mesh.identity.agent import DEFAULT_TTL, NodeAgent
    from mesh.ports import free_port
    from mesh.processes import ProcessFailed
    from mesh.runner import Mesh, MeshPorts
    from mesh.supervisor import Supervisor
    from mesh.topology import load_topology_or_exit
    from mesh.trace_store import DEFAULT_PORT as TRACE_STORE_PORT
    from mesh.trace_store import running_trace_store

    try:
        seconds = args.certificate_ttl_seconds
        certificate_ttl = NodeAgent.ttl_of(
            DEFAULT_TTL.total_seconds() if seconds is None else seconds
        )
    except ValueError as error:
        parser.error(f"--certificate-ttl-seconds {error}")

    try:
        trace_export = trace_export_from(os.environ)
    except ValueError as error:
        parser.error(str(error))
    store = ExitStack()  # the local trace store, when asked for: closed after the mesh
    if args.traces:
        try:
            local = store.enter_context(running_trace_store(TRACE_STORE_PORT))
        except OSError as error:
            parser.error(f"--traces: 127.0.0.1:{TRACE_STORE_PORT} is not free ({error})")
        sampling = trace_export.sampling_percent if trace_export else 100.0
        trace_export = TraceExport.from_endpoint(local.endpoint, sampling)

    signal.signal(signal.SIGTERM, _interrupt)
    topology = load_topology_or_exit()
    ports = MeshPorts(
        registry_http=topology.registry.http_port,
        registry_xds=topology.registry.xds_port,
        edge=topology.edge.port,
        edge_admin=topology.edge.admin_port,
        registry_metrics=free_port(),
        edge_metrics=free_port(),
    )
    mesh = Mesh(
        topology,
        ports,
        free_port,
        args.workdir,
        certificate_ttl=certificate_ttl,
        preload=not args.spawn,
        preloaded=preloaded,
        trace_export=trace_export,
    )
    supervisor = None if args.no_restart else Supervisor(mesh)
    try:
        print("starting the mesh…", flush=True)
        mesh.start()
        if supervisor is not None:
            supervisor.start()
        with control_endpoint(mesh, args.workdir / "run" / "control.json", supervisor):
            print(status_table(mesh, supervisor), flush=True)
            print(
                f"\nLogs in {args.workdir}/log/. Scale: python -m mesh.ctl add|remove …"
                " Ctrl-C stops everything.",
                flush=True,
            )
            while (gone := control_plane_gone(mesh)) is None:
                time.sleep(0.5)
            print(f"{gone}; stopping the mesh", file=sys.stderr)
            return 1
    except ProcessFailed as error:
        print(f"start-up failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping (instances drain and deregister)…", flush=True)
        return 0
    finally:
        if supervisor is not None:
            supervisor.stop()  # first: nothing stopped below is restarted
        mesh.stop()
        store.close()  # last: the apps' last spans are in


if __name__ == "__main__":
    sys.exit(main())
