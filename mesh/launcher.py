"""`make run`: start every service on SQLite, print where they are, stop them on Ctrl-C.

A small launcher instead of a Procfile runner (honcho) or supervisord: it starts services in
dependency order and waits for each one's /healthz before the next, derives every port and
<DEP>_ADDR from mesh/mesh.yaml, and stops everything (SIGTERM, then SIGKILL) if any
service fails. The mesh issue grows it into registry + sidecars + scalable instances.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from mesh.processes import ProcessFailed, ServiceProcess, start_all, stop_all
from mesh.topology import load_topology


def service_table(services: list[ServiceProcess]) -> str:
    rows = [("SERVICE", "PID", "HEALTH", "REST", "SWAGGER UI", "GRPC")]
    for service in services:
        spec = service.spec
        rows.append(
            (
                spec.name,
                str(service.process.pid),
                "ok" if service.health_status() == 200 else "failing",
                f"{service.url}{spec.api_prefix}",
                f"{service.url}{spec.api_prefix}/ui/",
                spec.address("grpc") if spec.grpc_port else "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM behaves like Ctrl-C, so `kill <launcher>` also stops the services gracefully."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("var/data"))
    parser.add_argument("--log-dir", type=Path, default=Path("var/log"))
    args = parser.parse_args(argv)

    signal.signal(signal.SIGTERM, _interrupt)
    topology = load_topology()
    try:
        services = start_all(topology, args.data_dir, args.log_dir)
    except ProcessFailed as error:
        print(f"start-up failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print(service_table(services))
    print(f"\nLogs in {args.log_dir}/, data in {args.data_dir}/. Ctrl-C stops everything.")
    try:
        while all(service.process.poll() is None for service in services):
            time.sleep(0.5)
        failed = [s.spec.name for s in services if s.process.poll() is not None]
        print(f"stopped: {', '.join(failed)} exited; stopping the rest", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping…")
        return 0
    finally:
        stop_all(services)


if __name__ == "__main__":
    sys.exit(main())
