"""Free TCP ports on loopback, picked at run time (tests, benchmarks, instance ports).

Ports come from below the kernel's ephemeral range: a port the kernel handed out by `bind(0)`
is in that range, where every outgoing connection also takes its local port, so between
picking it and the server binding it a client connection could take it (seen in CI as
"address already in use")."""

import random
import socket
from pathlib import Path

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST = 10_000
ATTEMPTS = 200


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


def free_port() -> int:
    high = _ephemeral_start() - 1
    if high > LOWEST:
        for _ in range(ATTEMPTS):
            port = random.randint(LOWEST, high)
            if _bindable(port):
                return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
