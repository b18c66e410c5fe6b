"""`make seed`: a small demo data set, loaded through the edge of a running mesh (`make run`).

Users alice, bob and carol (carol publishes prices: Developer), two NFTs each, an hour of
one-minute prices and trades for ETH-USD and BTC-USD, a price alert for alice, and a small
marketplace: every user has 500.00 USD, three NFTs are listed and carol has bought alice's
Genesis Ape. Every write carries an Idempotency-Key derived from what it creates, so running it
again changes nothing.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass

import httpx

from services.user.config import UserSettings

PASSWORD = "demo-password-1"
USERS = ("alice", "bob", "carol")
PUBLISHER = "carol"
NFTS = {
    "alice": ("Genesis Ape", "Moonlit Koi"),
    "bob": ("Pixel Fox", "Neon Owl"),
    "carol": ("Quiet Tide", "Copper Bloom"),
}
ASSETS = {"ETH-USD": 3100.0, "BTC-USD": 91000.0}
DEPOSIT = "500.00"
LISTINGS = {  # (owner, NFT) -> price
    ("alice", "Genesis Ape"): "150.00",
    ("alice", "Moonlit Koi"): "120.00",
    ("bob", "Neon Owl"): "80.00",
    ("carol", "Copper Bloom"): "45.50",
}
PURCHASES = {("alice", "Genesis Ape"): "carol"}  # listed NFT -> buyer
MINUTES = 60
START_MS = 1_767_225_600_000  # 2026-01-01T00:00Z


@dataclass
class Seeder:
    client: httpx.Client

    def call(self, method: str, path: str, key: str | None = None, **kwargs) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if key:
            headers["Idempotency-Key"] = f"seed:{key}"
        return self.client.request(method, path, headers=headers, **kwargs)

    def login(self, username: str, password: str) -> dict[str, str]:
        response = self.call(
            "POST", "/api/users/login", json={"username": username, "password": password}
        )
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['accessToken']}"}

    def user(self, name: str) -> None:
        body = {"username": name, "email": f"{name}@demo.capsure.local", "password": PASSWORD}
        response = self.call("POST", "/api/users", key=f"user:{name}", json=body)
        if response.status_code not in (201, 409):  # 409: registered by an earlier run
            response.raise_for_status()

    def grant_developer(self, admin: dict[str, str], name: str) -> None:
        me = self.call("GET", "/api/users/me", headers=self.login(name, PASSWORD)).json()
        body = {"roles": ["Developer"]}
        self.call(
            "PUT", f"/api/users/{me['id']}/roles", json=body, headers=admin
        ).raise_for_status()

    def nft(self, owner: str, auth: dict[str, str], name: str) -> str:
        body = {
            "name": name,
            "description": f"{owner}'s demo NFT",
            "metadata": {"image": f"https://img.example/demo/{name.lower().replace(' ', '-')}.png"},
        }
        response = self.call(
            "POST", "/api/nfts", key=f"nft:{owner}:{name}", json=body, headers=auth
        )
        response.raise_for_status()
        return str(response.json()["id"])

    def deposit(self, name: str, auth: dict[str, str]) -> None:
        self.call(
            "POST",
            "/api/trading/wallet/deposits",
            key=f"deposit:{name}",
            json={"amount": DEPOSIT},
            headers=auth,
        ).raise_for_status()

    def listing(self, owner: str, auth: dict[str, str], nft: str, nft_id: str, price: str) -> str:
        body = {"nftId": nft_id, "price": price}
        response = self.call(
            "POST", "/api/trading/listings", key=f"listing:{owner}:{nft}", json=body, headers=auth
        )
        response.raise_for_status()
        return str(response.json()["id"])

    def buy(self, buyer: str, auth: dict[str, str], nft: str, listing_id: str) -> None:
        # 202: the transfer is still being confirmed; the purchase completes on its own.
        self.call(
            "POST",
            f"/api/trading/listings/{listing_id}/purchases",
            key=f"buy:{buyer}:{nft}",
            headers=auth,
        ).raise_for_status()

    def prices(self, auth: dict[str, str]) -> int:
        sent = 0
        for symbol, base in ASSETS.items():
            for minute in range(MINUTES):
                price = round(base * (1 + 0.01 * math.sin(minute / 6)), 2)
                tick = {
                    "assetSymbol": symbol,
                    "price": price,
                    "timestamp": START_MS + minute * 60_000,
                    "quantity": float(1 + minute % 3),
                }
                key = f"tick:{symbol}:{minute}"
                self.call(
                    "POST", "/api/trading/market-data", key=key, json=tick, headers=auth
                ).raise_for_status()
                sent += 1
        return sent

    def alert(self, auth: dict[str, str]) -> None:
        body = {"assetSymbol": "ETH-USD", "direction": "above", "threshold": 3200}
        self.call(
            "POST", "/api/notifications/alerts", key="alert:alice", json=body, headers=auth
        ).raise_for_status()


def seed(edge_url: str, admin_username: str, admin_password: str) -> str:
    with httpx.Client(base_url=edge_url, timeout=10, trust_env=False) as client:
        seeder = Seeder(client)
        admin = seeder.login(admin_username, admin_password)
        for name in USERS:
            seeder.user(name)
        seeder.grant_developer(admin, PUBLISHER)
        sessions = {name: seeder.login(name, PASSWORD) for name in USERS}
        nft_ids = {
            (owner, name): seeder.nft(owner, sessions[owner], name)
            for owner, names in NFTS.items()
            for name in names
        }
        ticks = seeder.prices(sessions[PUBLISHER])
        seeder.alert(sessions["alice"])
        for name in USERS:
            seeder.deposit(name, sessions[name])
        for (owner, nft), price in LISTINGS.items():
            listing_id = seeder.listing(owner, sessions[owner], nft, nft_ids[owner, nft], price)
            if buyer := PURCHASES.get((owner, nft)):
                seeder.buy(buyer, sessions[buyer], nft, listing_id)
    return (
        f"seeded {edge_url}: users {', '.join(USERS)} (password {PASSWORD!r}; {PUBLISHER} is a "
        f"Developer; {DEPOSIT} USD each), {sum(map(len, NFTS.values()))} NFTs, {ticks} price "
        f"ticks for {', '.join(ASSETS)}, one price alert for alice, {len(LISTINGS)} listings "
        f"and {len(PURCHASES)} sale"
    )


def main() -> int:
    defaults = UserSettings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edge", default="http://127.0.0.1:8080")
    parser.add_argument("--admin-username", default=defaults.admin_username)
    parser.add_argument("--admin-password", default=defaults.admin_password)
    arguments = parser.parse_args()
    try:
        print(seed(arguments.edge, arguments.admin_username, arguments.admin_password))
    except httpx.HTTPError as error:
        print(f"seeding failed: {error} (is the mesh running? `make run`)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
