"""While a service's database does not answer, requests that need it are a retryable 503
problem (Retry-After), not an "unexpected" 500: clients and Envoy retry, a keyed POST safely.

No server is needed: the ORM is opened on a loopback port where nothing listens (the pool
connects lazily, so every query meets a refused connection, as during a restart)."""

from collections.abc import AsyncIterator
from uuid import uuid4

import asyncpg
import httpx
import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.exceptions import DBConnectionError, IntegrityError

from mesh.ports import free_port
from services.common.database import (
    close_database,
    database_unavailable,
    open_database,
    service_database,
)
from services.nft.bootstrap import bootstrap
from services.nft.config import NftSettings
from tests.support.asgi import asgi_client
from tests.support.tokens import bearer, jwks_url
from tests.unit.nft_fakes import InMemoryUserDirectory

pytestmark = pytest.mark.integration

ALICE = uuid4()


def raised_from(cause: BaseException) -> RuntimeError:
    try:
        raise RuntimeError("wrapped") from cause
    except RuntimeError as error:
        return error


def rollback_after(loss: BaseException) -> asyncpg.InterfaceError:
    """What a transaction's exit raises when its connection was lost mid-query (seen in the
    PostgreSQL restart test): the rollback fails too, raised while handling the loss."""
    try:
        try:
            raise loss
        except type(loss):
            raise asyncpg.InterfaceError(  # noqa: B904 - implicitly chained, as asyncpg does
                "cannot call Transaction.rollback(): the underlying connection is closed"
            )
    except asyncpg.InterfaceError as error:
        return error


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        ConnectionResetError(104, "Connection reset by peer"),
        DBConnectionError("cannot connect"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        raised_from(ConnectionRefusedError(111, "refused")),
        rollback_after(asyncpg.ConnectionDoesNotExistError("connection was closed")),
    ],
    ids=repr,
)
def test_what_an_outage_raises_counts_as_unavailable(error: BaseException) -> None:
    assert database_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        IntegrityError("duplicate key"),
        asyncpg.UniqueViolationError("duplicate key"),
        ValueError("a bug"),
        raised_from(KeyError("a bug")),
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
    ],
    ids=repr,
)
def test_a_failing_request_or_a_bug_does_not(error: BaseException) -> None:
    assert not database_unavailable(error)


@pytest.fixture
async def client_without_database() -> AsyncIterator[httpx.AsyncClient]:
    EXECUTOR_CACHE.clear()  # Tortoise caches SQL by connection name, whatever the dialect
    refused = f"postgres://postgres@127.0.0.1:{free_port()}/capsure_outage"
    settings = NftSettings(database_url=refused, jwks_url=jwks_url())
    app = bootstrap(settings, users=InMemoryUserDirectory(ALICE))
    # No lifespan: it would migrate first, and fail. The ORM is opened as the lifespan would.
    await open_database(service_database("nft", settings))
    try:
        async with asgi_client(app, lifespan=False) as client:
            yield client
    finally:
        await close_database()


async def test_requests_are_a_503_problem_with_retry_after(
    client_without_database: httpx.AsyncClient,
) -> None:
    client = client_without_database
    keyed = {**bearer(ALICE), "Idempotency-Key": "outage-1"}
    responses = {
        "keyed mint": await client.post("/api/nfts", json={"name": "n"}, headers=keyed),
        "mint": await client.post("/api/nfts", json={"name": "n"}, headers=bearer(ALICE)),
        "read": await client.get(f"/api/nfts/{uuid4()}"),
    }
    for what, response in responses.items():
        assert response.status_code == 503, (what, response.text)
        assert response.headers["content-type"] == "application/problem+json", what
        assert response.headers["retry-after"] == "1", what
        # The detail says what is wrong without internals (addresses, driver messages).
        assert "127.0.0.1" not in response.text, what
    assert (await client.get("/healthz")).status_code == 503
