"""nft's user-service client on a real socket: 200 is a user, the contract's 404 is none, and
every other outcome (down, slow, 5xx, a mesh's bare 404, an answer off the contract) is
UserServiceUnavailable; the caller's token goes along."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest

from mesh.ports import free_port
from services.nft.adapters.user_directory import RestUserDirectory
from services.nft.domain.errors import UserServiceUnavailable
from tests.support.scripted_peer import http_answer, tcp_server

pytestmark = pytest.mark.integration

USER = b'{"id": "%s", "username": "bob", "createdAt": "2026-01-01T00:00:00Z"}'
PROBLEM = b'{"title": "Not Found", "status": 404, "detail": "user does not exist"}'


async def exists(address: str, timeout_seconds: float = 5.0, token: str | None = "t.o.k") -> bool:
    directory = RestUserDirectory(address, timeout_seconds)
    try:
        return await directory.exists(uuid4(), bearer_token=token)
    finally:
        await directory.aclose()


async def test_a_user_exists_and_the_callers_token_goes_along():
    requests: list[bytes] = []
    body = USER % str(uuid4()).encode()
    async with tcp_server(http_answer("200 OK", body, requests)) as address:
        assert await exists(address, token="a.b.c") is True
    [head] = requests
    request_line, *header_lines = head.decode().strip().split("\r\n")
    assert request_line.startswith("GET /api/users/")
    headers = {n.lower(): v for n, v in (line.split(": ", 1) for line in header_lines)}
    assert headers["authorization"] == "Bearer a.b.c"


async def test_the_contracts_404_means_no_such_user():
    async with tcp_server(http_answer("404 Not Found", PROBLEM)) as address:
        assert await exists(address) is False


async def test_nothing_listening_is_unavailable():
    with pytest.raises(UserServiceUnavailable, match="cannot be reached"):
        await exists(f"127.0.0.1:{free_port()}")


async def test_a_user_service_that_never_answers_times_out():
    never_answered = asyncio.Event()

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await never_answered.wait()

    async with tcp_server(hang) as address:
        with pytest.raises(UserServiceUnavailable, match="in time"):
            await exists(address, timeout_seconds=0.2)
        never_answered.set()


@pytest.mark.parametrize(
    ("status", "body"),
    [
        ("200 OK", b'{"id": "not-a-user"}'),
        ("200 OK", b"not json"),
        ("404 Not Found", b""),  # the mesh's own: no route, no problem+json
        ("401 Unauthorized", b'{"title": "Unauthorized", "status": 401}'),
        ("500 Internal Server Error", b"{}"),
        ("503 Service Unavailable", b"{}"),
        ("504 Gateway Timeout", b""),
    ],
)
async def test_answers_that_say_nothing_about_the_user(status, body):
    async with tcp_server(http_answer(status, body)) as address:
        with pytest.raises(UserServiceUnavailable):
            await exists(address)
