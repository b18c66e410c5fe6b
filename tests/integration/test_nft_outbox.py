"""nft's transactional outbox on real databases (SQLite and PostgreSQL): a mint or transfer
and its notification events commit or roll back together, also nested in the
Idempotency-Key transaction; the relay drains them into a consumer."""

from __future__ import annotations

from uuid import uuid4

import pytest
from tortoise.transactions import in_transaction

from services.common.database import service_database
from services.common.outbox import OutboxRelay, RelayPolicy, Topic
from services.nft.adapters.orm import LedgerEntryRecord, NftRecord, OutboxMessage
from services.nft.adapters.repository import TortoiseNftRepository, outbox_store
from services.nft.bootstrap import build_deps, utc_now
from services.nft.config import NftSettings
from services.nft.domain.events import event_id_of
from services.nft.domain.model import NftMetadata
from services.nft.service_layer import use_cases
from services.nft.service_layer.use_cases import NOTIFICATION_TOPIC, NftDeps
from tests.integration.conftest import migrated_and_open
from tests.unit.nft_fakes import InMemoryUserDirectory

pytestmark = pytest.mark.integration

ALICE, BOB = uuid4(), uuid4()


@pytest.fixture
async def database(database_url):
    async with migrated_and_open(service_database("nft", NftSettings(database_url=database_url))):
        yield


@pytest.fixture
def repo(database) -> TortoiseNftRepository:
    return TortoiseNftRepository()


@pytest.fixture
def deps(repo) -> NftDeps:
    return build_deps(repo, InMemoryUserDirectory(ALICE, BOB))


async def mint(deps: NftDeps):
    return await use_cases.mint_nft(
        deps, minter_id=ALICE, name="Ape", description="", metadata=NftMetadata()
    )


async def counts() -> tuple[int, int, int]:
    return (
        await NftRecord.all().count(),
        await LedgerEntryRecord.all().count(),
        await OutboxMessage.all().count(),
    )


async def test_a_mint_and_its_event_commit_together(deps):
    nft = await mint(deps)
    assert await counts() == (1, 1, 1)
    [message] = await outbox_store().pending(NOTIFICATION_TOPIC, 10)
    assert message.payload["eventId"] == str(event_id_of(nft.mint_tx_hash))
    assert (message.payload["type"], message.payload["userId"]) == ("nft.minted", str(ALICE))


async def test_a_transfer_queues_the_event_for_both_sides(deps):
    nft = await mint(deps)
    moved = await use_cases.transfer_nft(deps, nft.id, caller_id=ALICE, to_user_id=BOB)
    _, *transferred = await outbox_store().pending(NOTIFICATION_TOPIC, 10)
    assert [m.payload["userId"] for m in transferred] == [str(ALICE), str(BOB)]
    assert {m.payload["eventId"] for m in transferred} == {str(event_id_of(moved.last_tx_hash))}


async def test_a_failure_after_the_ledger_append_rolls_the_message_back(deps, repo, monkeypatch):
    async def broken(nft, first_version):
        await repo.add(nft)
        raise ConnectionError("lost the database mid-transaction")

    monkeypatch.setattr(repo, "add_minted", broken)  # after the chain and the NFT's row
    with pytest.raises(ConnectionError):
        await mint(deps)
    assert await counts() == (0, 0, 0)


async def test_a_failed_message_write_rolls_the_mint_back(deps, monkeypatch):
    async def broken(topic, payload):
        raise ConnectionError("lost the database mid-transaction")

    monkeypatch.setattr(deps.outbox, "add", broken)
    with pytest.raises(ConnectionError):
        await mint(deps)
    assert await counts() == (0, 0, 0)


async def test_nested_in_an_outer_transaction_they_roll_back_with_it(deps):
    # As under an Idempotency-Key: the use case's transaction is nested in the request's.
    with pytest.raises(RuntimeError):
        async with in_transaction("nft"):
            await mint(deps)
            assert await counts() == (1, 1, 1)
            raise RuntimeError("the stored response could not be written")
    assert await counts() == (0, 0, 0)


async def test_the_relay_delivers_the_queued_events_and_deletes_them(deps):
    await mint(deps)
    received: list[dict] = []

    async def consumer(batch):
        received.extend(m.payload for m in batch)
        return {}

    relay = OutboxRelay(
        outbox_store(), [Topic(NOTIFICATION_TOPIC, consumer)], utc_now, RelayPolicy()
    )
    assert await relay.run_once() == 1
    assert [p["type"] for p in received] == ["nft.minted"]
    assert await counts() == (1, 1, 0)
