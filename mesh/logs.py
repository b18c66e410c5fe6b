"""`make logs SERVICE=nft`: one service's log files under a running mesh's workdir, merged:
every instance's app (`nft-1.log`) and sidecar (`nft-1-sidecar.log`), JSON lines all
(services/common/json_logs.py, mesh/envoy/access_logs.py), each printed after the name of the
file it came from. The last lines of each first, in time order; then what they append, as it
comes, from instances added meanwhile too."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

POLL_SECONDS = 0.2
# A line longer than this is printed in pieces, and a poll reads at most this much of a file
# (the rest at the next): a follower's memory stays bounded however fast a file grows.
MAX_LINE_BYTES = 64 * 1024
MAX_POLL_BYTES = 1024 * 1024


def service_logs(log_dir: Path, service: str) -> list[Path]:
    """The log files of `service`'s instances and their sidecars, by name."""
    pattern = re.compile(rf"{re.escape(service)}-\d+(-sidecar)?\.log")
    if not log_dir.is_dir():
        return []
    return sorted(p for p in log_dir.iterdir() if pattern.fullmatch(p.name))


def _time_of(line: str) -> str:
    """A JSON line's `time` (ISO 8601, UTC: ordered as text); '' when it has none."""
    try:
        value = json.loads(line).get("time")
    except (ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""


def last_lines(ends: Mapping[Path, int], count: int) -> list[tuple[str, str]]:
    """The last `count` lines of every file before its offset in `ends`, as (file's name,
    line), merged by time."""
    found = []
    for path, end in ends.items():
        start = max(0, end - count * MAX_LINE_BYTES)
        with path.open("rb") as log:
            log.seek(start)
            lines = log.read(end - start).decode(errors="replace").splitlines()
        found += [(path.stem, line) for line in (lines[-count:] if count else [])]
    return sorted(found, key=lambda named: _time_of(named[1]))


def _after_last_line(path: Path) -> int:
    """Where the line being written (if any) starts: lines before it are whole."""
    size = path.stat().st_size
    with path.open("rb") as log:
        log.seek(max(0, size - MAX_LINE_BYTES))
        tail = log.read()
    newline = tail.rfind(b"\n")
    return size if newline < 0 else size - len(tail) + newline + 1


@dataclass
class LogFollower:
    """What `service`'s log files append from now on; `poll` returns it, file by file."""

    log_dir: Path
    service: str
    _offsets: dict[Path, int] = field(default_factory=dict)
    _partial: dict[Path, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for path in service_logs(self.log_dir, self.service):
            self._offsets[path] = _after_last_line(path)

    @property
    def offsets(self) -> Mapping[Path, int]:
        """Where each file's next line starts: what was there before is not `poll`'s."""
        return dict(self._offsets)

    def poll(self) -> list[tuple[str, str]]:
        appended = []
        for path in service_logs(self.log_dir, self.service):
            offset = self._offsets.get(path, 0)  # a new instance's file: from its start
            size = path.stat().st_size
            if size < offset:  # the file was started again
                offset, self._partial[path] = 0, b""
            with path.open("rb") as log:
                log.seek(offset)
                read = log.read(min(size - offset, MAX_POLL_BYTES))
            data = self._partial.pop(path, b"") + read
            self._offsets[path] = offset + len(read)
            *complete, rest = data.split(b"\n")
            if len(rest) > MAX_LINE_BYTES:
                complete, rest = [*complete, rest], b""
            if rest:
                self._partial[path] = rest
            appended += [(path.stem, line.decode(errors="replace")) for line in complete]
        return appended


def follow(log_dir: Path, service: str, lines: int) -> Iterator[str]:
    """The last lines, then every line appended, until interrupted."""
    follower = LogFollower(log_dir, service)
    for name, line in last_lines(follower.offsets, lines):
        yield f"{name} | {line}"
    while True:
        for name, line in follower.poll():
            yield f"{name} | {line}"
        time.sleep(POLL_SECONDS)
