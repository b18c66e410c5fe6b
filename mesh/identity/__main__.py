"""The node agent as a process of its own (a container in docker-compose.yml): hand every
named workload its identity under --root, then renew each at half its lifetime, until stopped.

    python -m mesh.identity --ca DIR --root DIR [--ttl-seconds N] \\
        --workload edge=edge --workload nft-1=nft@nft-1 ...

A workload is `<name>=<service>[@<host>,...]`: its directory and CN, the service its SPIFFE ID
names, and the hosts it is reached at. `--operator` also writes the operator's credential."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from mesh.files import atomic_write
from mesh.identity.agent import DEFAULT_TTL, NodeAgent, Workload
from mesh.identity.ca import LocalCertificateAuthority
from mesh.identity.operator import operator_workload
from services.common.workload_identity import spiffe_id

READY_FILE = "ready"  # written once every workload has its first certificate (healthcheck)


def parse_workload(text: str) -> Workload:
    name, separator, rest = text.partition("=")
    service, _, hosts = rest.partition("@")
    if not separator or not name or not service:
        raise argparse.ArgumentTypeError(f"not <name>=<service>[@host,...]: {text!r}")
    return Workload(name, spiffe_id(service), tuple(h for h in hosts.split(",") if h))


def _owner(text: str) -> tuple[int, int]:
    uid, _, gid = text.partition(":")
    return int(uid), int(gid or uid)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ca", type=Path, required=True, help="the CA's directory")
    parser.add_argument("--root", type=Path, required=True, help="one directory per workload")
    parser.add_argument(
        "--ttl-seconds",
        type=float,
        default=DEFAULT_TTL.total_seconds(),
        help="lifetime of each certificate (renewed at half of it); 10 s to 30 days, default 1 h",
    )
    parser.add_argument("--workload", type=parse_workload, action="append", default=[])
    parser.add_argument("--operator", action="store_true")
    parser.add_argument(
        "--owner", type=_owner, default=None, help="uid:gid the files are for (the Envoys')"
    )
    args = parser.parse_args(argv)
    try:
        ttl = NodeAgent.ttl_of(args.ttl_seconds)
    except ValueError as error:
        parser.error(f"--ttl-seconds {error}")
    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    # A restarted container keeps its root file system (only the identities are volumes): the
    # last run's `ready` would pass the healthcheck before anything is provisioned.
    ready = args.root / READY_FILE
    ready.unlink(missing_ok=True)
    authority = LocalCertificateAuthority.load_or_create(args.ca)
    agent = NodeAgent(authority, args.root, ttl, owner=args.owner)
    for workload in [*args.workload, *([operator_workload()] if args.operator else [])]:
        agent.provision(workload)
    args.root.mkdir(parents=True, exist_ok=True)  # also with no workload to provision
    atomic_write(ready, b"ok\n", mode=0o644)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with agent.renewing():
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
