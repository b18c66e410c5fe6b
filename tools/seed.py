"""`make seed`: a small demo data set, loaded through the edge of a running mesh (`make run`).

Users alice, bob and carol (carol publishes prices: Developer), two NFTs each, an hour of
one-minute prices and trades for ETH-USD and BTC-USD, and a price alert for alice. Every write
carries an Idempotency-Key derived from what it creates, so running it again changes nothing.
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

    def nft(self, owner: str, auth: dict[str, str], name: str) -> None:
        body = {
            "name": name,
            "description": f"{owner}'s demo NFT",
            "metadata": {"image": f"https://img.example/demo/{name.lower().replace(' ', '-')}.png"},
        }
        self.call(
            "POST", "/api/nfts", key=f"nft:{owner}:{name}", json=body, headers=auth
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
        for owner, names in NFTS.items():
            for name in names:
                seeder.nft(owner, sessions[owner], name)
        ticks = seeder.prices(sessions[PUBLISHER])
        seeder.alert(sessions["alice"])
    return (
        f"seeded {edge_url}: users {', '.join(USERS)} (password {PASSWORD!r}; {PUBLISHER} is a "
        f"Developer), {sum(map(len, NFTS.values()))} NFTs, {ticks} price ticks for "
        f"{', '.join(ASSETS)}, one price alert for alice"
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
