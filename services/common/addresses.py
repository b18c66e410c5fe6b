"""host:port strings, as every <DEP>_ADDR and advertise address is written."""

from __future__ import annotations


def split_address(address: str) -> tuple[str, int]:
    """host:port -> (host, port); an IPv6 host is written in brackets: [::1]:50051."""
    host, separator, port = address.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not separator or not host or not port.isdigit() or not 0 < int(port) <= 65535:
        raise ValueError(f"{address!r} is not host:port (e.g. 127.0.0.1:50051)")
    return host, int(port)


def http_url(address: str) -> str:
    """A base URL for an address given as host:port or already as a URL."""
    return address if "://" in address else f"http://{address}"
