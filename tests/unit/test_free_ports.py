"""free_port hands out ports no other process is handing out: each process takes them from
blocks it holds a lock on (the two pytest workers start meshes at the same time)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mesh.ports import BLOCK_SIZE, LOWEST, _ephemeral_start, free_port

pytestmark = pytest.mark.unit

COUNT = BLOCK_SIZE + 50  # more than one block each
OTHER_PROCESS = f"""
import sys
from mesh.ports import free_port
print(" ".join(str(free_port()) for _ in range({COUNT})), flush=True)
sys.stdin.readline()  # holds its blocks until told to go
"""


def test_two_processes_never_get_the_same_port() -> None:
    other = subprocess.Popen(
        [sys.executable, "-c", OTHER_PROCESS],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert other.stdout is not None and other.stdin is not None
        theirs = [int(p) for p in other.stdout.readline().split()]
        mine = [free_port() for _ in range(COUNT)]  # while the other still holds its blocks
        other.stdin.write("\n")
        other.stdin.flush()
    finally:
        other.wait(timeout=10)
    assert len(theirs) == len(set(theirs)) == COUNT
    assert len(mine) == len(set(mine)) == COUNT
    assert not set(mine) & set(theirs)
    assert not {p // BLOCK_SIZE for p in mine} & {p // BLOCK_SIZE for p in theirs}


def test_ports_come_from_below_the_ephemeral_range() -> None:
    ports = [free_port() for _ in range(20)]
    assert all(LOWEST <= port < _ephemeral_start() for port in ports)
