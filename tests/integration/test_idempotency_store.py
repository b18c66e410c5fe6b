"""Idempotency-Key on a real database (SQLite and PostgreSQL): concurrent duplicates create one
NFT and all get its response; the claim and the handler's writes commit or roll back together;
an expired key is a new request."""

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.common.database import service_database
from services.common.idempotency import KeyRace, StoredResponse
from services.common.idempotency_stores import DatabaseIdempotencyStore
from services.nft.adapters.orm import IdempotencyRecord, NftRecord
from services.nft.bootstrap import bootstrap
from services.nft.config import NftSettings
from tests.integration.conftest import migrated_and_open
from tests.support.asgi import asgi_client
from tests.support.tokens import bearer, jwks_url

pytestmark = pytest.mark.integration

NOW = datetime(2026, 5, 1, tzinfo=UTC)


@pytest.fixture
async def nft_app(database_url):
    settings = NftSettings(database_url=database_url, jwks_url=jwks_url())
    # No lifespan: the test opens the database itself.
    async with (
        migrated_and_open(service_database("nft", settings)),
        asgi_client(bootstrap(settings), lifespan=False) as client,
    ):
        yield client


async def test_concurrent_duplicates_create_one_and_all_get_its_answer(nft_app):
    headers = {**bearer(uuid4()), "Idempotency-Key": "concurrent-1"}
    responses = await asyncio.gather(
        *(nft_app.post("/api/nfts", json={"name": "Only one"}, headers=headers) for _ in range(5))
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert await NftRecord.filter(name="Only one").count() == 1


async def test_the_claim_rolls_back_with_a_failing_handler(database_url):
    settings = NftSettings(database_url=database_url)
    async with migrated_and_open(service_database("nft", settings)):
        store = DatabaseIdempotencyStore("nft", IdempotencyRecord)
        with pytest.raises(RuntimeError):
            async with store.transaction():
                await store.save("op:a", "k", StoredResponse("f", 201, {}, {}), NOW, NOW)
                raise RuntimeError("the handler failed after writing")
        assert await store.find("op:a", "k", NOW - timedelta(seconds=1)) is None


async def test_an_expired_key_makes_way_for_a_new_request(database_url):
    settings = NftSettings(database_url=database_url)
    async with migrated_and_open(service_database("nft", settings)):
        store = DatabaseIdempotencyStore("nft", IdempotencyRecord)
        first = StoredResponse("f1", 201, {"id": 1}, {"Location": "/x/1"})
        async with store.transaction():
            await store.save("op:a", "k", first, NOW, NOW + timedelta(hours=1))
        assert await store.find("op:a", "k", NOW) == first
        later = NOW + timedelta(hours=2)
        assert await store.find("op:a", "k", later) is None
        second = StoredResponse("f2", 201, {"id": 2}, {})
        async with store.transaction():
            await store.save("op:a", "k", second, later, later + timedelta(hours=1))
        assert await store.find("op:a", "k", later) == second


@pytest.mark.parametrize(
    "body", [None, {"id": 1, "tags": ["a"]}, [1, 2.5, None], "text", 0], ids=repr
)
async def test_every_kind_of_answer_body_is_replayed_as_it_was(database_url, body):
    settings = NftSettings(database_url=database_url)
    async with migrated_and_open(service_database("nft", settings)):
        store = DatabaseIdempotencyStore("nft", IdempotencyRecord)
        stored = StoredResponse("f", 200 if body is not None else 204, body, {"ETag": '"v1"'})
        async with store.transaction():
            await store.save("op:a", "k", stored, NOW, NOW + timedelta(hours=1))
        assert await store.find("op:a", "k", NOW) == stored


async def test_a_key_saved_twice_is_a_race_and_expired_records_go_ten_at_a_time(database_url):
    settings = NftSettings(database_url=database_url)
    async with migrated_and_open(service_database("nft", settings)):
        store = DatabaseIdempotencyStore("nft", IdempotencyRecord)
        answer = StoredResponse("f", 201, {"id": 1}, {})
        async with store.transaction():
            for n in range(12):  # expired an hour after NOW
                await store.save("op:old", f"k{n}", answer, NOW, NOW + timedelta(hours=1))
        later = NOW + timedelta(hours=2)
        async with store.transaction():
            await store.save("op:new", "k", answer, later, later + timedelta(hours=1))
        assert await IdempotencyRecord.all().count() == 12 + 1 - 10
        with pytest.raises(KeyRace):
            async with store.transaction():
                await store.save("op:new", "k", answer, later, later + timedelta(hours=1))
        assert await store.find("op:new", "k", later) == answer
