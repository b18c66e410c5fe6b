"""Two nft instances sharing one SQLite file (as `make run` starts them) append to one ledger:
their processes have separate connections, so only SQLite's write lock keeps them in turn."""

import asyncio
import multiprocessing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE

from services.common.database import (
    apply_migrations,
    close_database,
    open_database,
    service_database,
)
from services.common.idempotency import StoredResponse
from services.common.idempotency_stores import DatabaseIdempotencyStore
from services.nft.adapters.local_ledger import LocalLedgerChain
from services.nft.adapters.orm import IdempotencyRecord
from services.nft.adapters.repository import TortoiseNftRepository
from services.nft.bootstrap import build_deps
from services.nft.config import NftSettings
from services.nft.domain.model import NftMetadata
from services.nft.service_layer import use_cases
from tests.unit.nft_fakes import InMemoryUserDirectory

pytestmark = pytest.mark.integration

ROUNDS, PER_ROUND = 8, 5


async def _mint(deps, store: DatabaseIdempotencyStore | None) -> None:
    async def mint() -> None:
        await use_cases.mint_nft(
            deps, minter_id=uuid4(), name="n", description="", metadata=NftMetadata()
        )

    if store is None:
        await mint()
        return
    # The path of a request with an Idempotency-Key: the key's transaction around the write.
    key, now = uuid4().hex, datetime.now(UTC)
    async with store.transaction():
        assert await store.find("mint_nft:-", key, now) is None
        await mint()
        response = StoredResponse("fingerprint", 201, {}, {})
        await store.save("mint_nft:-", key, response, now, now + timedelta(hours=1))


async def _mint_concurrently(data_dir: Path, keyed: bool) -> None:
    await open_database(service_database("nft", NftSettings(data_dir=data_dir)))
    try:
        deps = build_deps(TortoiseNftRepository(), InMemoryUserDirectory())  # mints only
        store = DatabaseIdempotencyStore("nft", IdempotencyRecord) if keyed else None
        for _ in range(ROUNDS):
            await asyncio.gather(*(_mint(deps, store) for _ in range(PER_ROUND)))
    finally:
        await close_database()


def _instance(data_dir: Path, keyed: bool) -> None:
    asyncio.run(_mint_concurrently(data_dir, keyed))


@pytest.mark.parametrize("keyed", [False, True], ids=["plain", "with Idempotency-Keys"])
async def test_two_processes_minting_at_once_build_one_valid_chain(tmp_path, keyed):
    EXECUTOR_CACHE.clear()
    spec = service_database("nft", NftSettings(data_dir=tmp_path))
    await apply_migrations(spec)
    spawn = multiprocessing.get_context("spawn")
    instances = [spawn.Process(target=_instance, args=(tmp_path, keyed)) for _ in range(2)]
    for instance in instances:
        instance.start()
    for instance in instances:
        await asyncio.to_thread(instance.join, 60)
    assert [instance.exitcode for instance in instances] == [0, 0]
    await open_database(spec)
    try:
        verdict = await LocalLedgerChain().verify()
    finally:
        await close_database()
    assert (verdict.entries, verdict.valid) == (2 * ROUNDS * PER_ROUND, True)
