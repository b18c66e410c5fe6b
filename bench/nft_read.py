"""Bench only: the real read a mesh hop stands in front of, nft's `GET /api/nfts/user/{userId}`
returning NFTS NFTs from SQLite (2-4 ms of CPU a request: the JSON, the ORM, Connexion), served
by the nft app as a process on a loopback port. Started as `mesh.direct` starts it: with the
services it depends on beside it (user signs the seed's tokens with the benchmarks' key,
notification takes the mints' events) and no sidecar of its own, so it believes any caller
(CAPSURE_AUTHENTICATE_CALLERS=false): a hop in front of it sets the caller's header, and the
read is public."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.common import seed_nfts, trusting_env
from mesh.direct import running_direct
from mesh.ports import free_port
from mesh.processes import AppProcess
from mesh.topology import load_topology

SERVICE = "nft"
NFTS = 10  # as bench.latency and bench.rest_throughput read them


@dataclass
class NftRead:
    app: AppProcess  # nft's app: its base URL (`app.url`) and pid
    path: str  # the read of one owner's NFTS NFTs

    @property
    def url(self) -> str:
        return self.app.url + self.path

    @property
    def port(self) -> int:
        port = self.app.instance.ports.app_http
        assert isinstance(port, int)  # running_direct: loopback ports
        return port


@contextmanager
def running_nft_read(workdir: Path) -> Iterator[NftRead]:
    """nft (and what it depends on) on free loopback ports, its SQLite database in `workdir`,
    NFTS NFTs minted for a new owner; every app is stopped on the way out."""
    topology = load_topology().only({SERVICE})
    with running_direct(
        topology, free_port, workdir / "data", workdir / "log", trusting_env()
    ) as apps:
        app = apps[SERVICE]
        owner = seed_nfts(app.url, NFTS)
        yield NftRead(app, f"/api/nfts/user/{owner}")
