"""NFT events reach their users through the mesh: a mint notifies the minter, a transfer both
sides — once each, though the transfer request is sent twice with one Idempotency-Key."""

from __future__ import annotations

import uuid

import httpx
import pytest

from mesh.runner import Mesh
from tests.support.accounts import registered_user
from tests.support.mesh import poll

pytestmark = pytest.mark.e2e

PASSWORD = "notify-e2e-secret-1"


def account(edge: httpx.Client) -> tuple[str, dict[str, str]]:
    return registered_user(edge, "n", PASSWORD)


def kinds(edge: httpx.Client, auth: dict[str, str]) -> list[str]:
    response = edge.get("/api/notifications", headers=auth)
    assert response.status_code == 200, response.text
    return sorted(n["type"] for n in response.json())


def test_mint_and_transfer_notify_each_user_once(platform_mesh: Mesh):
    with httpx.Client(base_url=platform_mesh.edge_url, trust_env=False, timeout=10) as edge:
        (_, alice), (bob_id, bob) = account(edge), account(edge)
        minted = edge.post(
            "/api/nfts",
            json={"name": "Notified"},
            headers={**alice, "Idempotency-Key": f"mint-{uuid.uuid4()}"},
        )
        assert minted.status_code == 201, minted.text
        transfer = {"toUserId": bob_id}
        key = {"Idempotency-Key": f"transfer-{uuid.uuid4()}"}
        url = f"/api/nfts/{minted.json()['id']}/transfer"
        first = edge.post(url, json=transfer, headers={**alice, **key})
        again = edge.post(url, json=transfer, headers={**alice, **key})
        assert (first.status_code, again.status_code) == (200, 200)
        assert again.headers["idempotent-replayed"] == "true"

        poll(
            lambda: (
                kinds(edge, alice) == ["nft.minted", "nft.transferred"]
                and kinds(edge, bob) == ["nft.transferred"]
            ),
            "both users notified",
            15,
        )
        assert kinds(edge, alice) == ["nft.minted", "nft.transferred"]
        assert kinds(edge, bob) == ["nft.transferred"]
