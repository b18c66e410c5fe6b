"""Users for tests that go through an edge or a user service: registered, logged in."""

from __future__ import annotations

import uuid

import httpx


def registered_user(client: httpx.Client, prefix: str, password: str) -> tuple[str, dict[str, str]]:
    """A new user's id and bearer header; `client` has the edge (or user service) as base URL."""
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    body = {"username": name, "email": f"{name}@e2e.example", "password": password}
    created = client.post("/api/users", json=body)
    assert created.status_code == 201, created.text
    login = client.post("/api/users/login", json={"username": name, "password": password})
    assert login.status_code == 200, login.text
    return created.json()["id"], {"Authorization": f"Bearer {login.json()['accessToken']}"}
