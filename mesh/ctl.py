"""Change a running `make run` mesh without restarting anything.

python -m mesh.ctl status           # every instance: pids, health, restarts and their reasons
python -m mesh.ctl add nft          # one more nft instance: app + sidecar, registered
python -m mesh.ctl remove nft-3     # drain and stop that instance
python -m mesh.ctl logs nft         # follow nft's instances' and sidecars' logs, merged
python -m mesh.ctl top              # live: each instance's rps, errors, p50/p99 and health
python -m mesh.ctl trace <trace-id> # a trace's spans as a tree (make run's --traces store)
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

import httpx

# Adding an instance waits for it to be ready and registered (a cold start on a busy machine).
CALL_TIMEOUT_SECONDS = 120
MAX_ERROR_BYTES = 64 * 1024


def _call(url: str, method: str, token: str) -> dict:
    request = urllib.request.Request(url, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=CALL_TIMEOUT_SECONDS) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise SystemExit(_refusal(error)) from error
    except OSError as error:  # refused (a launcher killed with -9 leaves control.json), silent
        raise SystemExit(f"the mesh's control endpoint {url} does not answer: {error}") from error


def _refusal(error: urllib.error.HTTPError) -> str:
    """What the endpoint said (its JSON `error`), or its status when the body is not that
    (something else answered at that port, or a proxy)."""
    try:
        said = json.loads(error.read(MAX_ERROR_BYTES)).get("error")
    except (OSError, ValueError, AttributeError):
        said = None
    return said if isinstance(said, str) else f"{error.code} {error.reason}"


def _follow_logs(log_dir: Path, service: str, lines: int) -> int:
    from mesh.logs import follow, service_logs

    if not service_logs(log_dir, service):
        raise SystemExit(f"no log of {service!r} in {log_dir}: is the mesh running there?")
    try:
        for line in follow(log_dir, service, max(lines, 0)):
            print(line, flush=True)
    except KeyboardInterrupt:
        pass
    return 0


def _top(workdir: Path, registry_url: str | None, interval: float, iterations: int) -> int:
    from mesh.identity.operator import OPERATOR, OperatorCredential
    from mesh.top import Registry, Top, watch
    from mesh.topology import HOST, load_topology_or_exit

    credential = OperatorCredential(workdir / "identity" / OPERATOR)
    if not credential.identity_file.exists():
        raise SystemExit(f"no operator credential in {credential.directory}: is the mesh running?")
    url = registry_url or f"https://{HOST}:{load_topology_or_exit().registry.http_port}"
    top = Top(Registry(url, credential.ssl_context()))
    try:
        watch(top, interval, iterations)
    except KeyboardInterrupt:
        pass
    except httpx.HTTPError as error:
        raise SystemExit(f"the registry at {url} does not answer: {error}") from error
    finally:
        top.close()
    return 0


def _print_trace(trace_id: str, store_url: str | None) -> int:
    from mesh.topology import HOST
    from mesh.trace_store import DEFAULT_PORT, TRACE_ID, StoredSpan, span_tree

    if not TRACE_ID.fullmatch(trace_id):
        raise SystemExit(f"a trace id is 32 lowercase hex digits, not {trace_id[:40]!r}")
    url = f"{store_url or f'http://{HOST}:{DEFAULT_PORT}'}/api/traces/{trace_id}"
    try:
        answer = httpx.get(url, timeout=5, trust_env=False)
    except httpx.HTTPError as error:
        raise SystemExit(
            f"no trace store answers at {url} (make run with --traces): {error}"
        ) from None
    if answer.status_code == 404:
        raise SystemExit(f"the trace store keeps no trace {trace_id}")
    answer.raise_for_status()
    spans = [StoredSpan(**span) for span in answer.json()["spans"]]
    print("\n".join(span_tree(spans)))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="control a running mesh (make run)")
    parser.add_argument("--workdir", type=Path, default=Path("var"))
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("status")
    commands.add_parser("add").add_argument("service")
    commands.add_parser("remove").add_argument("instance_id")
    logs = commands.add_parser("logs")
    logs.add_argument("service")
    logs.add_argument("--lines", type=int, default=20, help="of each file first (default 20)")
    top = commands.add_parser("top")
    top.add_argument("--interval", type=float, default=1.0, help="seconds between refreshes")
    top.add_argument("--iterations", type=int, default=0, help="refreshes, then stop (0: never)")
    top.add_argument("--registry", help="the registry's URL (default: mesh.yaml's, on loopback)")
    trace = commands.add_parser("trace")
    trace.add_argument("trace_id", help="32 hex digits (a log line's trace_id)")
    trace.add_argument("--store", default=None, help="the trace store (default: 127.0.0.1:4318)")
    args = parser.parse_args(argv)
    if args.command == "trace":
        return _print_trace(args.trace_id, args.store)
    if args.command == "logs":
        return _follow_logs(args.workdir / "log", args.service, args.lines)
    if args.command == "top":
        return _top(args.workdir, args.registry, args.interval, args.iterations)

    state = args.workdir / "run" / "control.json"
    if not state.exists():
        raise SystemExit(f"no running mesh ({state} is missing): start one with `make run`")
    control = json.loads(state.read_text())
    base, token = control["url"], control["token"]
    if args.command == "status":
        result = _call(base, "GET", token)
    elif args.command == "add":
        result = _call(f"{base}/services/{args.service}/instances", "POST", token)
    else:
        result = _call(f"{base}/instances/{args.instance_id}", "DELETE", token)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
