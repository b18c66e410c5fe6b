"""Free TCP ports on loopback, picked at run time (tests, benchmarks, instance ports).

Two ways a picked port can be taken before its server binds it, both seen in CI as "address
already in use":
- the kernel's ephemeral range: a port `bind(0)` hands out is where every outgoing connection
  also takes its local port. So ports come from below that range.
- another process picking the same free port at the same moment (the two pytest workers each
  start meshes). So each process takes its ports from blocks it holds an flock on: no two
  processes hand out the same port, and a block is freed when its process ends, however it ends.
"""

from __future__ import annotations

import fcntl
import os
import random
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST = 10_000
BLOCK_SIZE = 100
BLOCK_LOCKS = Path(tempfile.gettempdir()) / "capsure-mesh-port-blocks"


def _ephemeral_start() -> int:
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):  # not Linux: the IANA dynamic range
        return 49_152


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _claimed(block: int) -> int | None:
    """A descriptor holding `block`'s lock for this process, or None if another holds it."""
    BLOCK_LOCKS.mkdir(exist_ok=True)
    descriptor = os.open(BLOCK_LOCKS / f"{block}.lock", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(descriptor)
        return None
    return descriptor  # kept open: the block is ours until the process ends


class _PortBlocks:
    """This process's ports: block after block, each port handed out once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._candidates: Iterator[int] | None = None
        self._held: list[int] = []

    def _blocks(self) -> Iterator[int]:
        first_blocks = range(LOWEST // BLOCK_SIZE, _ephemeral_start() // BLOCK_SIZE)
        for block in random.sample(first_blocks, len(first_blocks)):
            try:
                descriptor = _claimed(block)
            except OSError:  # no usable temp dir: no blocks, the fallback below
                return
            if descriptor is not None:
                self._held.append(descriptor)
                yield from range(block * BLOCK_SIZE, (block + 1) * BLOCK_SIZE)

    def next_free(self) -> int | None:
        with self._lock:
            if self._candidates is None:
                self._candidates = self._blocks()
            for port in self._candidates:
                if _bindable(port):
                    return port
            return None


_BLOCKS = _PortBlocks()


def free_port() -> int:
    port = _BLOCKS.next_free()
    if port is not None:
        return port
    # Every block is taken or used up (a very long run): whatever the kernel has.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
