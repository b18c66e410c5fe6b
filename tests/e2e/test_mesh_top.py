"""`make top` against a running mesh: every instance the registry knows, with the requests a
client just sent counted at the instance that served them."""

from __future__ import annotations

import subprocess
import sys
import uuid

import httpx
import pytest

from mesh.runner import Mesh
from mesh.top import Registry, Top
from tests.support.mesh import poll

pytestmark = pytest.mark.e2e


def test_top_shows_every_instance_and_the_traffic_it_served(platform_mesh: Mesh) -> None:
    top = Top(Registry(platform_mesh.registry_url, platform_mesh.operator.ssl_context()))
    try:
        first = top.refresh()
        ids = {name: {r.id for r in group} for name, group in platform_mesh.instances.items()}
        assert {(row.service, row.instance) for row in first} == {
            (name, instance) for name, group in ids.items() for instance in group
        }
        assert {row.health for row in first} == {"SERVING"}
        with httpx.Client(trust_env=False, timeout=10) as client:

            def nft_counted() -> bool:
                for _ in range(20):
                    read = client.get(f"{platform_mesh.edge_url}/api/nfts/user/{uuid.uuid4()}")
                    assert read.status_code == 200
                rows = {row.instance: row for row in top.refresh()}
                (nft,) = ids["nft"]
                shown = rows[nft].figures
                return shown is not None and shown.rps > 0 and shown.p99 is not None

            poll(nft_counted, "nft's reads counted by top", within=20)
    finally:
        top.close()


def test_make_top_prints_the_table(platform_mesh: Mesh) -> None:
    ran = subprocess.run(
        [
            sys.executable,
            *("-m", "mesh.ctl", "--workdir", str(platform_mesh.workdir), "top"),
            *("--registry", platform_mesh.registry_url, "--interval", "0.2", "--iterations", "1"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 0, ran.stderr
    for group in platform_mesh.instances.values():
        for running in group:
            assert running.id in ran.stdout, ran.stdout
    assert "P99" in ran.stdout and "SERVING" in ran.stdout
