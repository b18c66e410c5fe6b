"""The user service's nft client when the nft service is down, slow or off-contract."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest

from mesh.ports import free_port
from services.user.adapters.nft_catalog import RestNftCatalog
from services.user.domain.errors import (
    NftServiceBadResponse,
    NftServiceTimeout,
    NftServiceUnavailable,
)
from tests.support.scripted_peer import http_answer, tcp_server

pytestmark = pytest.mark.integration


async def list_owned(address: str, timeout_seconds: float = 5.0) -> list:
    catalog = RestNftCatalog(address, timeout_seconds)
    try:
        return await catalog.list_owned(uuid4(), limit=10, offset=0)
    finally:
        await catalog.aclose()


async def test_nothing_listening_is_unavailable():
    with pytest.raises(NftServiceUnavailable):
        await list_owned(f"127.0.0.1:{free_port()}")


async def test_a_callee_that_never_answers_times_out():
    never_answered = asyncio.Event()

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await never_answered.wait()

    async with tcp_server(hang) as address:
        with pytest.raises(NftServiceTimeout):
            await list_owned(address, timeout_seconds=0.2)
        never_answered.set()


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        ("200 OK", b'[{"id": "not-an-nft"}]', NftServiceBadResponse),
        ("200 OK", b"not json", NftServiceBadResponse),
        ("500 Internal Server Error", b"{}", NftServiceBadResponse),
        ("503 Service Unavailable", b"{}", NftServiceUnavailable),
        ("504 Gateway Timeout", b"{}", NftServiceTimeout),
        # A sidecar's own answers: the contract declares 503/504 as problem+json, but an
        # Envoy that cannot reach nft says so in plain text, and that is no contract breach.
        ("503 Service Unavailable", b"no healthy upstream", NftServiceUnavailable),
        ("504 Gateway Timeout", b"upstream request timeout", NftServiceTimeout),
    ],
)
async def test_answers_outside_the_contract(status, body, error):
    async with tcp_server(http_answer(status, body)) as address:
        with pytest.raises(error):
            await list_owned(address)
