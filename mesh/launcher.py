"""`make run`: start every service on SQLite, print where they are, stop them on Ctrl-C.

A small launcher instead of a Procfile runner (honcho) or supervisord: it starts services in
dependency order and waits for each one's /healthz before the next, derives every port and
<DEP>_ADDR from mesh/mesh.yaml, and stops everything (SIGTERM, then SIGKILL) if any
service fails. The same code starts the processes of the end-to-end tests.
"""

from __future__ import annotations

import argparse
import signal
import socket
import sys
import time
from pathlib import Path

from mesh.direct import running_direct
from mesh.processes import AppProcess, ProcessFailed
from mesh.topology import load_topology


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def service_table(apps: list[AppProcess]) -> str:
    rows = [("SERVICE", "PID", "HEALTH", "REST", "SWAGGER UI", "GRPC")]
    for app in apps:
        spec = app.spec
        rows.append(
            (
                spec.name,
                str(app.pid),
                "ok" if app.health_status() == 200 else "failing",
                f"{app.url}{spec.api_prefix}",
                f"{app.url}{spec.api_prefix}/ui/",
                app.grpc_address if spec.has_grpc else "-",
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
    try:
        with running_direct(load_topology(), free_port, args.data_dir, args.log_dir) as apps:
            print(service_table(list(apps.values())))
            print(f"\nLogs in {args.log_dir}/, data in {args.data_dir}/. Ctrl-C stops everything.")
            while all(app.running for app in apps.values()):
                time.sleep(0.5)
            failed = [name for name, app in apps.items() if not app.running]
            print(f"{', '.join(failed)} exited; stopping the rest", file=sys.stderr)
            return 1
    except ProcessFailed as error:
        print(f"start-up failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopped")
        return 0


if __name__ == "__main__":
    sys.exit(main())
