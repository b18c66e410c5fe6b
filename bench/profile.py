"""`make profile SERVICE=nft`: where an app's CPU goes under a bench load (issue 13).

Starts a mesh of one instance per service (as bench.cpu_per_request does: apps on loopback
ports, seeded through their API), loads SERVICE's app with wrk straight to it (every seeded GET
of its contract in turn, or only `--operation <operationId>`), and records the app with py-spy
(sampling from outside the process: the app runs unchanged). `--pid` attaches to a running
instance instead (start a load yourself, or give `--url` for wrk to load). Writes to
bench/results/:

- profile-<service>.svg: the flame graph (open it in a browser: a frame's width is its share
  of the samples, callers below callees; click to zoom, Ctrl-F to search);
- profile-<service>.txt: the top frames by own time (the function was running) and by total
  time (it was on the stack), as % of samples, functions summed over their lines.

py-spy needs ptrace: root, or CAP_SYS_PTRACE, or kernel.yama.ptrace_scope = 0 for your own
processes."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.common import RESULTS, load_average, running_mesh, wrk
from bench.cpu_per_request import (
    SERVICES,
    Target,
    app_pid,
    app_url,
    contract_reads,
    read_target,
    seed,
)

DEFAULT_SECONDS = 15
DEFAULT_RATE = 200  # samples a second (py-spy's default is 100)
CONNECTIONS = 16  # the app saturated: the profile is of its busy event loop
TOP = 30
LOAD_SLACK_SECONDS = 3  # wrk runs this much longer than the recording
PY_SPY_INSTALL = "install the bench extra: uv pip install -e '.[bench]' (py-spy from PyPI)"


@dataclass(frozen=True)
class Load:
    """What wrk sends to the app: its base URL and a script cycling through the requests."""

    url: str
    lua: str
    described: str


def py_spy() -> str:
    found = Path(sys.executable).with_name("py-spy")
    path = str(found) if found.exists() else shutil.which("py-spy")
    if path is None:
        raise SystemExit(f"py-spy is not installed: {PY_SPY_INSTALL}")
    return path


def cycling_lua(targets: Sequence[Target], base_url: str) -> str:
    """A wrk script sending `targets` in turn, each with its own headers."""

    def lua_string(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    made = []
    for target in targets:
        path = target.url.removeprefix(base_url)
        pairs = (f"[{lua_string(k)}] = {lua_string(v)}" for k, v in target.headers.items())
        request = f'wrk.format("GET", {lua_string(path)}, {{{", ".join(pairs)}}})'
        made.append(f"  requests[#requests + 1] = {request}")
    return (
        "local requests = {}\nlocal n = 0\ninit = function(args)\n"
        + "\n".join(made)
        + "\nend\nrequest = function()\n  n = n % #requests + 1\n  return requests[n]\nend\n"
    )


@contextmanager
def started_instance(service: str, operation: str | None) -> Iterator[tuple[int, Load]]:
    """A mesh of one instance per service, seeded; SERVICE's app pid and the load for it."""
    with running_mesh(dict.fromkeys(SERVICES, 1), private_apps=False) as mesh:
        seeded = seed(mesh)
        reads = [
            o
            for o in contract_reads()
            if o.service == service and operation in (None, o.operation_id)
        ]
        targets = [t for o in reads if (t := read_target(mesh, seeded, o)) is not None]
        if not targets:
            raise SystemExit(f"no seeded GET operation of {service} matches {operation!r}")
        base = app_url(mesh, service)
        names = ", ".join(o.name for o in reads)
        yield app_pid(mesh, service), Load(base, cycling_lua(targets, base), names)


def record(pid: int, seconds: int, rate: int, service: str) -> tuple[Path, Path]:
    """py-spy twice at once on `pid` (a flame graph and the raw stacks); non-blocking: the app
    is not paused to be sampled."""
    RESULTS.mkdir(exist_ok=True)
    svg, raw = RESULTS / f"profile-{service}.svg", RESULTS / f"profile-{service}.raw"
    common = ["record", "--pid", str(pid), "--duration", str(seconds), "--rate", str(rate),
              "--nonblocking"]  # fmt: skip
    runs = [
        subprocess.Popen([py_spy(), *common, "--format", fmt, "-o", str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for fmt, out in (("flamegraph", svg), ("raw", raw))
    ]  # fmt: skip
    for run in runs:
        out, _ = run.communicate(timeout=seconds + 60)
        if run.returncode != 0:
            hint = ""
            if "ermission" in out or "ptrace" in out.lower():
                hint = " (py-spy needs ptrace: root, CAP_SYS_PTRACE or ptrace_scope 0)"
            raise SystemExit(f"py-spy failed{hint}: {out.strip()}")
    return svg, raw


_LINE = re.compile(r":\d+\)$")
_SITE = re.compile(r"\(.*?/site-packages/")
_ROOT = str(Path(__file__).resolve().parents[1]) + "/"


def function_of(frame: str) -> str:
    """`f (path/file.py:12)` -> `f (file.py)` relative to the repository or site-packages."""
    return _SITE.sub("(", _LINE.sub(")", frame)).replace(_ROOT, "")


def package_of(function: str) -> str:
    """`f (connexion/apps/x.py)` -> `connexion`; the services' own code by service."""
    path = function.rpartition(" (")[2].rstrip(")")
    parts = path.split("/")
    if parts[0] == "services" and len(parts) > 2:
        return "/".join(parts[:2])
    return parts[0].removesuffix(".py")


def stacks(raw: str) -> Iterator[tuple[list[str], int]]:
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            yield [function_of(f) for f in stack.split(";")], int(count)


def top_frames(raw: str, top: int = TOP) -> str:
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    samples = 0
    for frames, count in stacks(raw):
        samples += count
        own[frames[-1]] += count
        packages[package_of(frames[-1])] += count
        for name in set(frames):
            total[name] += count
    if not samples:
        return "no samples: was the process busy?\n"

    def listing(counter: Counter[str]) -> str:
        return "\n".join(
            f"{100 * n / samples:6.1f} %  {name}" for name, n in counter.most_common(top)
        )

    return (
        f"{samples} samples\n\nOwn time by package:\n{listing(packages)}\n\n"
        f"Own time (the function itself was running):\n{listing(own)}\n\n"
        f"Total time (the function was on the stack):\n{listing(total)}\n"
    )


def loaded(load: Load | None, seconds: int) -> threading.Thread | None:
    if load is None:
        return None
    thread = threading.Thread(
        target=wrk,
        args=(load.url, CONNECTIONS, seconds + LOAD_SLACK_SECONDS),
        kwargs={"lua": load.lua},
        daemon=True,
    )
    thread.start()
    return thread


def profile(pid: int, load: Load | None, args: argparse.Namespace) -> Path:
    load_before = load_average()
    thread = loaded(load, args.seconds)
    svg, raw = record(pid, args.seconds, args.rate, args.service)
    if thread is not None:
        thread.join()
    what = load.described if load else "(the load running beside it)"
    text = (
        f"py-spy profile of {args.service}'s app (pid {pid}), {args.seconds} s at "
        f"{args.rate} samples/s; load: wrk, {CONNECTIONS} connections: {what}\n"
        f"load average before: {load_before}, after: {load_average()}\n"
        f"flame graph: {svg}\n\n" + top_frames(raw.read_text())
    )
    summary = svg.with_suffix(".txt")
    summary.write_text(text)
    print(text)
    print(f"(written to {summary} and {svg})")
    return summary


def arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("service", choices=SERVICES)
    parser.add_argument("--seconds", type=int, default=DEFAULT_SECONDS)
    parser.add_argument("--rate", type=int, default=DEFAULT_RATE)
    parser.add_argument("--operation", help="one operationId of the contract (default: all)")
    parser.add_argument("--pid", type=int, help="attach to this running app instead")
    parser.add_argument("--url", help="with --pid: a URL for wrk to load while recording")
    args = parser.parse_args(argv)
    if not 1 <= args.seconds <= 600 or not 1 <= args.rate <= 1000:
        parser.error("--seconds 1..600, --rate 1..1000")
    return args


def main(argv: Sequence[str]) -> int:
    args = arguments(argv)
    py_spy()  # before a mesh starts: say what is missing at once
    if args.pid is not None:
        load = Load(args.url, "", args.url) if args.url else None
        profile(args.pid, load, args)
        return 0
    with started_instance(args.service, args.operation) as (pid, load):
        profile(pid, load, args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
