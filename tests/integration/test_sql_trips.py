"""services.common.sql_trips and services.common.transactions on real databases (SQLite and
PostgreSQL): statements run together behave as the same statements run one by one (rows, the
transaction they are in, errors as Tortoise raises them), and a step that joins its caller's
transaction adds no savepoint and is undone with it."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

import aiosqlite
import pytest
from tortoise.connection import get_connection
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.transactions import in_transaction

from services.common.database import service_database
from services.common.sql_trips import fetch_together
from services.common.sql_views import fetch, statement
from services.common.transactions import in_a_transaction, joined_transaction
from services.nft.adapters.orm import CONNECTION
from services.nft.config import NftSettings
from tests.integration.conftest import migrated_and_open

pytestmark = pytest.mark.integration

INSERT = statement(  # the NFT's id, version, name and time; changed by the NFT's id (any)
    lambda d: (
        'INSERT INTO "nft_version" (nft_id, version, name, changed_at, description, metadata, '
        f"changed_by) VALUES ({d.param(1)}, {d.param(2)}, {d.param(3)}, {d.param(4)}, '', '{{}}', "
        f"{d.param(5)})"
    )
)
NAMES = statement(
    lambda d: f"SELECT version, name FROM nft_version WHERE nft_id = {d.param(1)} ORDER BY version"
)
COUNT = statement(lambda d: f"SELECT count(*) AS n FROM nft_version WHERE nft_id = {d.param(1)}")
RENAME = statement(
    lambda d: (
        f"UPDATE nft_version SET name = {d.param(1)} WHERE nft_id = {d.param(2)} "
        "RETURNING version, name"
    )
)
BROKEN = statement(lambda d: "SELECT no_such_column FROM nft_version")
WHEN = "2026-05-01 12:00:00+00:00"


@pytest.fixture
async def database(database_url):
    async with migrated_and_open(service_database("nft", NftSettings(database_url=database_url))):
        yield


def nft_id(database_url: str) -> object:
    # asyncpg binds a UUID column from a UUID; SQLite's is text.
    made = uuid4()
    return made if database_url.startswith("postgres") else str(made)


def when(database_url: str) -> object:
    moment = datetime.fromisoformat(WHEN)
    return moment if database_url.startswith("postgres") else WHEN


async def names(owner: object) -> list[tuple[int, str]]:
    return [(r["version"], r["name"]) for r in await fetch(CONNECTION, NAMES, owner)]


async def test_each_statement_answers_its_rows_in_order(database, database_url):
    owner, at = nft_id(database_url), when(database_url)
    inserted, renamed, read, counted = await fetch_together(
        CONNECTION,
        (INSERT, (owner, 1, "one", at, owner)),
        (RENAME, ("uno", owner)),
        (NAMES, (owner,)),
        (COUNT, (owner,)),
    )
    assert inserted == []
    assert renamed == [{"version": 1, "name": "uno"}]
    assert read == [{"version": 1, "name": "uno"}]
    assert [list(r) for r in counted] == [["n"]] and counted[0]["n"] == 1


async def test_inside_a_transaction_they_see_it_and_roll_back_with_it(database, database_url):
    owner, at = nft_id(database_url), when(database_url)
    with pytest.raises(RuntimeError):
        async with in_transaction(CONNECTION):
            _, read = await fetch_together(
                CONNECTION, (INSERT, (owner, 1, "one", at, owner)), (NAMES, (owner,))
            )
            assert read == [{"version": 1, "name": "one"}]
            raise RuntimeError("undo")
    assert await names(owner) == []


async def test_the_first_error_stops_them_as_tortoise_raises_it(database, database_url):
    owner, at = nft_id(database_url), when(database_url)
    with pytest.raises(IntegrityError):  # (nft_id, version) is unique
        await fetch_together(
            CONNECTION,
            (INSERT, (owner, 1, "one", at, owner)),
            (INSERT, (owner, 1, "again", at, owner)),
            (INSERT, (owner, 2, "never", at, owner)),
        )
    # Outside a transaction each statement commits alone, as one fetch after another would.
    assert await names(owner) == [(1, "one")]
    with pytest.raises(OperationalError):
        await fetch_together(CONNECTION, (BROKEN, ()))


async def test_a_joined_step_adds_no_savepoint_and_is_undone_with_its_caller(
    database, database_url
):
    owner, at = nft_id(database_url), when(database_url)
    assert not in_a_transaction(CONNECTION)
    with pytest.raises(RuntimeError):
        async with in_transaction(CONNECTION) as outer:
            async with joined_transaction(CONNECTION):
                assert in_a_transaction(CONNECTION)
                # The very connection of the caller's transaction, not a nested one.
                assert get_connection(CONNECTION) is outer
                await fetch(CONNECTION, INSERT, owner, 1, "joined", at, owner)
            raise RuntimeError("the caller fails after the step")
    assert await names(owner) == []


async def test_a_step_alone_gets_a_transaction_of_its_own(database, database_url):
    owner, at = nft_id(database_url), when(database_url)
    with pytest.raises(IntegrityError):
        async with joined_transaction(CONNECTION):
            await fetch(CONNECTION, INSERT, owner, 1, "one", at, owner)
            await fetch(CONNECTION, INSERT, owner, 1, "clash", at, owner)
    assert await names(owner) == []  # the first insert went with the second
    async with joined_transaction(CONNECTION):
        await fetch(CONNECTION, INSERT, owner, 1, "one", at, owner)
    assert await names(owner) == [(1, "one")]


def test_the_aiosqlite_internal_it_leans_on_is_there():
    # fetch_together hands a function to the connection's thread with Connection._execute.
    # An aiosqlite upgrade that renames or reshapes it fails here first.
    assert aiosqlite.__version__ == "0.22.1", "check Connection._execute, then update this pin"
    assert callable(aiosqlite.Connection._execute)
