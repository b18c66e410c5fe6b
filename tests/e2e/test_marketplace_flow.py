"""The marketplace through the edge: mint → list → buy → the NFT moved, the sale recorded, the
money settled, analytics has the trade and both users are told — and a buy whose caller is cut
off mid-flight and retried with its Idempotency-Key happens exactly once."""

from __future__ import annotations

import socket
import struct
import uuid
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from urllib.parse import urlsplit

import httpx
import pytest

from mesh.runner import Mesh
from tests.support.accounts import registered_user
from tests.support.mesh import poll

pytestmark = pytest.mark.e2e

PASSWORD = "market-e2e-secret-1"
MARKET_ASSET = "NFT-USD"
SETTLED_WITHIN_SECONDS = 20


def account(edge: httpx.Client) -> tuple[str, dict[str, str]]:
    return registered_user(edge, "m", PASSWORD)


def keyed(auth: dict[str, str], purpose: str) -> dict[str, str]:
    return {**auth, "Idempotency-Key": f"{purpose}-{uuid.uuid4()}"}


def deposit(edge: httpx.Client, auth: dict[str, str], amount: str) -> None:
    response = edge.post(
        "/api/trading/wallet/deposits", json={"amount": amount}, headers=keyed(auth, "deposit")
    )
    assert response.status_code == 201, response.text


def mint_and_list(edge: httpx.Client, auth: dict[str, str], price: str) -> tuple[str, str]:
    minted = edge.post("/api/nfts", json={"name": "For sale"}, headers=keyed(auth, "mint"))
    assert minted.status_code == 201, minted.text
    nft_id = minted.json()["id"]
    listed = edge.post(
        "/api/trading/listings", json={"nftId": nft_id, "price": price}, headers=keyed(auth, "list")
    )
    assert listed.status_code == 201, listed.text
    assert listed.json()["status"] == "active"
    assert edge.get(f"/api/nfts/{nft_id}").json()["saleListingId"] == listed.json()["id"]
    return nft_id, listed.json()["id"]


def wallet(edge: httpx.Client, auth: dict[str, str]) -> tuple[Decimal, Decimal]:
    body = edge.get("/api/trading/wallet", headers=auth).json()
    return Decimal(body["available"]), Decimal(body["held"])


def notification_kinds(edge: httpx.Client, auth: dict[str, str]) -> Counter[str]:
    response = edge.get("/api/notifications", headers=auth)
    assert response.status_code == 200, response.text
    return Counter(n["type"] for n in response.json())


def market_trades(edge: httpx.Client) -> int:
    volume = edge.get(f"/api/analytics/assets/{MARKET_ASSET}/volume")
    return volume.json()["trades24h"] if volume.status_code == 200 else 0


def completed(edge: httpx.Client, purchase: httpx.Response, auth: dict[str, str]) -> dict:
    """The purchase once settled: 201 at once, or 202 (pending) and then settled on its own."""
    assert purchase.status_code in (201, 202), purchase.text
    purchase_id = purchase.json()["id"]

    def settled() -> dict | None:
        body = edge.get(f"/api/trading/purchases/{purchase_id}", headers=auth).json()
        return body if body["status"] != "pending" else None

    poll(settled, "the purchase settled", SETTLED_WITHIN_SECONDS)
    return settled() or {}


def assert_notified_once(
    edge: httpx.Client, *, seller: dict[str, str], buyer: dict[str, str]
) -> None:
    """Each side told of each event exactly once (the seller minted, so also nft.minted)."""
    expected = {
        "seller": Counter({"nft.minted": 1, "nft.transferred": 1, "sale.completed": 1}),
        "buyer": Counter({"nft.transferred": 1, "sale.completed": 1}),
    }

    sides = {"seller": seller, "buyer": buyer}

    def told() -> dict[str, Counter[str]]:
        return {side: notification_kinds(edge, auth) for side, auth in sides.items()}

    poll(lambda: told() == expected, "both users notified once", 15)


def assert_sold_once(edge: httpx.Client, nft_id: str, seller: str, buyer: str) -> None:
    ownership = edge.get(f"/api/nfts/{nft_id}/ownership").json()
    assert [(t["kind"], t["from"], t["to"]) for t in ownership] == [
        ("mint", None, seller),
        ("transfer", seller, buyer),
    ]
    nft = edge.get(f"/api/nfts/{nft_id}").json()
    assert (nft["ownerId"], nft["saleListingId"]) == (buyer, None)
    sales = edge.get("/api/trading/sales", params={"nftId": nft_id}).json()
    assert [(s["sellerId"], s["buyerId"]) for s in sales] == [(seller, buyer)]


def test_mint_list_buy_moves_the_nft_settles_and_tells_everyone(platform_mesh: Mesh):
    with httpx.Client(base_url=platform_mesh.edge_url, trust_env=False, timeout=10) as edge:
        (alice_id, alice), (bob_id, bob) = account(edge), account(edge)
        deposit(edge, bob, "100.00")
        nft_id, listing_id = mint_and_list(edge, alice, "42.50")
        trades_before = market_trades(edge)

        bought = edge.post(
            f"/api/trading/listings/{listing_id}/purchases", headers=keyed(bob, "buy")
        )
        purchase = completed(edge, bought, bob)

        assert purchase["status"] == "completed", purchase
        assert (purchase["buyerId"], purchase["sellerId"]) == (bob_id, alice_id)
        assert edge.get(f"/api/trading/listings/{listing_id}").json()["status"] == "sold"
        assert_sold_once(edge, nft_id, alice_id, bob_id)
        assert wallet(edge, bob) == (Decimal("57.50"), Decimal("0"))
        assert wallet(edge, alice) == (Decimal("42.50"), Decimal("0"))

        poll(lambda: market_trades(edge) == trades_before + 1, "analytics has the trade", 15)
        last = edge.get(f"/api/analytics/assets/{MARKET_ASSET}/price").json()
        assert last["price"] == pytest.approx(42.5)
        assert_notified_once(edge, seller=alice, buyer=bob)


def cut_off_mid_flight(
    edge_url: str, path: str, headers: dict[str, str], reached: Callable[[], bool]
) -> None:
    """Send a POST, wait until the server has begun acting on it (`reached`), then reset the
    connection without reading a byte of the answer: the caller never learns what happened."""
    address = urlsplit(edge_url)
    lines = [f"POST {path} HTTP/1.1", f"Host: {address.netloc}", "Content-Length: 0"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        poll(reached, "the cut-off buy reached trading", SETTLED_WITHIN_SECONDS)
        # SO_LINGER 0: close with a reset, like a killed client, not a polite FIN.
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def test_a_buy_cut_off_mid_flight_and_retried_happens_exactly_once(platform_mesh: Mesh):
    with httpx.Client(base_url=platform_mesh.edge_url, trust_env=False, timeout=10) as edge:
        (alice_id, alice), (bob_id, bob) = account(edge), account(edge)
        deposit(edge, bob, "100.00")
        nft_id, listing_id = mint_and_list(edge, alice, "30.00")
        path = f"/api/trading/listings/{listing_id}/purchases"
        buy = keyed(bob, "buy")

        def listing_taken() -> bool:
            status = edge.get(f"/api/trading/listings/{listing_id}").json()["status"]
            return status != "active"

        cut_off_mid_flight(platform_mesh.edge_url, path, buy, listing_taken)
        retried = edge.post(path, headers=buy)
        purchase = completed(edge, retried, bob)
        replayed = retried.headers.get("idempotent-replayed", "false")
        print(f"retry answered {retried.status_code} (replayed: {replayed})")

        assert purchase["status"] == "completed", purchase
        again = edge.post(path, headers=buy)
        assert (again.status_code, again.json()["id"]) == (201, purchase["id"])
        assert_sold_once(edge, nft_id, alice_id, bob_id)
        assert wallet(edge, bob) == (Decimal("70.00"), Decimal("0"))
        assert wallet(edge, alice) == (Decimal("30.00"), Decimal("0"))
        assert_notified_once(edge, seller=alice, buyer=bob)
        print(
            "injected: 1 buy reset mid-flight; counted: 1 transfer, 1 sale, 1 sale.completed each"
        )
