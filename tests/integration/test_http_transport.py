"""services.common.http_transport against real sockets: answers read as httpx reads them, and
every way a peer can fail (refuse, hang, hang up, answer something that is not HTTP) is an
httpx.TransportError (a timeout an httpx.TimeoutException), never an aiohttp exception that
the callers' `except httpx...` clauses would let through as a 500."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from mesh.ports import free_port
from services.common.addresses import http_target
from tests.support.scripted_peer import http_answer, parse_head, tcp_server, unix_server

pytestmark = pytest.mark.integration


def client_for(address: str, timeout: float = 2.0) -> httpx.AsyncClient:
    target = http_target(address)
    return httpx.AsyncClient(base_url=target.url, timeout=timeout, **target.httpx_args())


async def test_an_answer_reads_as_httpx_reads_it_and_the_request_arrives_whole(tmp_path: Path):
    requests: list[bytes] = []
    answer = http_answer("201 Created", b'{"ok": true}', requests)
    async with (
        unix_server(answer, tmp_path / "peer.sock") as address,
        client_for(address) as client,
    ):
        response = await client.post(
            "/things?x=1", json={"name": "n"}, headers={"Idempotency-Key": "k-1"}
        )
    assert (response.status_code, response.json()) == (201, {"ok": True})
    assert response.headers["content-type"] == "application/json"
    head = parse_head(requests[0])
    assert (head.method, head.target) == ("POST", "/things?x=1")
    assert head.headers["idempotency-key"] == "k-1"
    assert head.headers["content-type"] == "application/json"


async def test_many_calls_at_once_share_the_pool():
    async def keep_alive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async with tcp_server(keep_alive) as address, client_for(address) as client:
        answers = await asyncio.gather(*(client.get(f"/n/{i}") for i in range(50)))
    assert [a.json() for a in answers] == [[]] * 50


async def test_a_refused_connection_is_a_connect_error_not_a_timeout(tmp_path: Path):
    for address in (f"127.0.0.1:{free_port()}", f"unix:{tmp_path / 'nobody.sock'}"):
        async with client_for(address) as client:
            with pytest.raises(httpx.ConnectError):
                await client.get("/")


async def test_a_peer_that_never_answers_is_a_timeout():
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up and closes

    async with tcp_server(silent) as address, client_for(address, timeout=0.3) as client:
        with pytest.raises(httpx.TimeoutException):
            await client.get("/")


@pytest.mark.parametrize(
    "said",
    [b"", b"SSH-2.0-OpenSSH_9.6\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n[]"],
    ids=["hangs up", "not HTTP", "body cut short"],
)
async def test_a_peer_that_hangs_up_or_speaks_nonsense_is_a_transport_error(said: bytes):
    async def broken(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(said)
        await writer.drain()
        writer.close()

    async with tcp_server(broken) as address, client_for(address) as client:
        with pytest.raises(httpx.TransportError) as failed:
            response = await client.get("/")
            await response.aread()
    assert not isinstance(failed.value, httpx.TimeoutException)  # the peer did answer
