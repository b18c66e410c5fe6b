"""Certificate rotation under load: a mesh whose workload certificates live 6 s (renewed by
the node agent at half-life, picked up by each running Envoy through file SDS) serves a steady
load of reads and keyed writes through the edge while every Envoy — the edge, the registry's
sidecar, each instance's sidecar — starts serving a renewed certificate. Not one request may
fail: rotation replaces the certificate new handshakes use, and open connections keep theirs."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest

from mesh.processes import EnvoyProcess
from mesh.runner import Mesh
from tests.support.mesh import (
    Load,
    Mint,
    Send,
    get,
    keyed_mints,
    owned_nfts,
    poll,
    registered,
    running_mesh,
)

pytestmark = pytest.mark.e2e

TTL = timedelta(seconds=6)
INSTANCES = {"nft": 2, "user": 1, "notification": 1}
WORKERS = {"GET": 4, "POST": 2}
INTERVAL_SECONDS = 0.1  # per worker: at most 40 GET/s and 20 POST/s, CPU left for the mesh
LOAD_SECONDS = 10.0
ROTATED_WITHIN_SECONDS = 8.0  # renewal at half of 6 s, checked every second, then SDS
MIN_RENEWALS = 2  # per Envoy during the load: at least one after the first renewal of all


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    workdir = tmp_path_factory.mktemp("rotation")
    with running_mesh(
        workdir, services=["nft"], instances=INSTANCES, certificate_ttl=TTL
    ) as running:
        yield running


def serials(envoy: EnvoyProcess) -> frozenset[str]:
    """The serial numbers of the certificates `envoy` presents now (every TLS context of it:
    listeners and clusters; the trust bundle's root is left out)."""
    certificates = json.loads(envoy.admin("/certs"))["certificates"]
    return frozenset(
        chain["serial_number"]
        for entry in certificates
        for chain in entry.get("cert_chain") or []
        if chain.get("serial_number")
    )


def envoys(mesh: Mesh) -> dict[str, EnvoyProcess]:
    assert mesh.edge is not None and mesh.registry_sidecar is not None
    every = {"edge": mesh.edge, "registry sidecar": mesh.registry_sidecar}
    for group in mesh.instances.values():
        for running in group:
            every[f"{running.id} sidecar"] = running.sidecar
    return every


def senders(mesh: Mesh, owner: uuid.UUID, mints: list[Mint]) -> dict[str, Send]:
    """Reads of one owner's NFTs, and mints for that owner, each with its own key."""
    return {
        "GET": get(f"/api/nfts/user/{owner}", mesh.edge_url),
        "POST": keyed_mints(mesh, owner, "rotation", mints),
    }


def test_every_envoy_rotates_its_certificate_under_load_with_no_failed_request(mesh: Mesh):
    watched = envoys(mesh)
    before = {name: serials(envoy) for name, envoy in watched.items()}
    assert all(before.values()), before
    owner, mints = uuid.uuid4(), []
    rotated_after: dict[str, float] = {}
    seen: dict[str, set[str]] = {name: set(s) for name, s in before.items()}
    load = Load(
        senders(mesh, owner, mints),
        WORKERS,
        LOAD_SECONDS,
        frozenset({200, 201}),
        INTERVAL_SECONDS,
    )
    with load:
        started = time.monotonic()

        def sample() -> None:
            for name, envoy in watched.items():
                now = serials(envoy)
                seen[name] |= now
                if name not in rotated_after and not now & before[name]:
                    rotated_after[name] = time.monotonic() - started

        def every_envoy_rotated() -> bool:
            sample()
            return len(rotated_after) == len(watched)

        def load_over() -> bool:
            sample()  # every renewal while the load runs, to count them
            return not load.running

        poll(
            every_envoy_rotated, "every Envoy serving a renewed certificate", ROTATED_WITHIN_SECONDS
        )
        # The load goes on past the first rotation of all, so connections made with renewed
        # certificates carry requests too, through further renewals.
        poll(load_over, "the load's end", LOAD_SECONDS + 5)
        report = load.report()
    renewals = {name: len(seen[name] - before[name]) for name in watched}
    for name in watched:
        print(
            f"[rotation] {name}: first renewed certificate served after"
            f" {rotated_after[name]:.2f} s; {renewals[name]} renewed certificates served in"
            f" {report.finished - report.started:.1f} s of load"
        )
    print(f"[rotation] {report.summary('GET')}")
    print(f"[rotation] {report.summary('POST')}")
    assert min(renewals.values()) >= MIN_RENEWALS, renewals
    failures = [f"{o.kind} {o.status} {o.error}" for o in report.failures()]
    assert failures == [], failures[:10]
    assert len(report.of("GET")) >= 20 and len(report.of("POST")) >= 10, report.summary()
    minted = [m.key for m in mints if m.status == 201]
    assert sorted(n["name"] for n in owned_nfts(mesh, owner)) == sorted(minted)
    # The instances' heartbeats went through the rotations too (mTLS to the registry).
    assert registered(mesh) == {
        service: {r.id for r in group} for service, group in mesh.instances.items()
    }
