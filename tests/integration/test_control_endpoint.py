"""The launcher's control endpoint (mesh.ctl: status, add, remove) answers only the operator:
whoever can read control.json, written 0600 with a token new on every start."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from mesh.control import control_endpoint

pytestmark = pytest.mark.integration


def idle_mesh() -> Any:
    """What the endpoint reads of a mesh with nothing running yet."""
    return SimpleNamespace(
        edge_url="http://127.0.0.1:1",
        registry=None,
        registry_url="https://127.0.0.1:2",
        instances={},
        topology=SimpleNamespace(services={"nft": None}),
    )


def test_only_the_holder_of_the_token_controls_the_mesh(tmp_path: Path) -> None:
    state = tmp_path / "run" / "control.json"
    with control_endpoint(idle_mesh(), state) as url:
        assert stat.S_IMODE(state.stat().st_mode) == 0o600
        token = json.loads(state.read_text())["token"]
        with httpx.Client(timeout=5, trust_env=False) as client:
            for method, path in (
                ("GET", "/"),
                ("POST", "/services/nft/instances"),
                ("DELETE", "/instances/nft-1"),
            ):
                refused = client.request(method, f"{url}{path}")
                assert refused.status_code == 401, (method, path)
                forged = client.request(
                    method, f"{url}{path}", headers={"Authorization": "Bearer guess"}
                )
                assert forged.status_code == 401
            allowed = client.get(url, headers={"Authorization": f"Bearer {token}"})
            assert allowed.status_code == 200
            assert allowed.json()["services"] == {}
    assert not state.exists()


def test_every_start_has_a_new_token(tmp_path: Path) -> None:
    state = tmp_path / "control.json"
    tokens = set()
    for _ in range(2):
        with control_endpoint(idle_mesh(), state):
            tokens.add(json.loads(state.read_text())["token"])
    assert len(tokens) == 2
