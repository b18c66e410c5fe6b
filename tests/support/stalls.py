"""Slowing a process from outside and watching what that costs, for chaos tests.

- `paused(process)`: SIGSTOP for the `with` body, SIGCONT on the way out (also on failure), so
  the process keeps its sockets and state but answers nothing: a consumer that stalls, not one
  that is gone (the kernel still accepts connections and buffers their bytes).
- `rss_kib(pid)`: a process's resident set (VmRSS) from /proc, Linux.
- `Sampler`: a background thread calling a reading every `interval` seconds, keeping each value.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from mesh.processes import ManagedProcess


@dataclass
class Pause:
    started: float = 0.0
    finished: float = 0.0

    @property
    def seconds(self) -> float:
        return (self.finished or time.monotonic()) - self.started


@contextmanager
def paused(process: ManagedProcess) -> Iterator[Pause]:
    """The process stopped (SIGSTOP) for the body; resumed (SIGCONT) whatever happens, so a
    failing test still stops its mesh gracefully."""
    pause = Pause(started=time.monotonic())
    os.kill(process.pid, signal.SIGSTOP)
    try:
        yield pause
    finally:
        os.kill(process.pid, signal.SIGCONT)
        pause.finished = time.monotonic()


def rss_kib(pid: int) -> int:
    """VmRSS of `pid` in KiB (what the process holds in RAM now)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise LookupError(f"no VmRSS for pid {pid}")


@dataclass
class Sampler:
    """`read()` every `interval` seconds in a thread while the `with` body runs (and once at
    each end), every value kept. A reading that raises ends the sampling: the test sees fewer
    samples rather than a hang."""

    read: Callable[[], int]
    interval: float = 0.1
    values: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Sampler:
        self.values.append(self.read())
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.values.append(self.read())

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.values.append(self.read())
            except (OSError, LookupError, ValueError):
                return

    @property
    def peak(self) -> int:
        return max(self.values)
