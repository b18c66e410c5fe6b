"""Mint and transfer queue their notification events in the same unit of work as the ledger
entry, with eventIds derived from the ledger transaction."""

from uuid import UUID, uuid4, uuid5

import pytest

from services.common.outbox import OutboxMessage
from services.nft.bootstrap import build_deps
from services.nft.domain.errors import ConcurrentOwnershipChange
from services.nft.domain.events import EVENT_NAMESPACE, event_id_of
from services.nft.domain.model import Nft, NftMetadata
from services.nft.service_layer import use_cases
from services.nft.service_layer.use_cases import NOTIFICATION_TOPIC
from tests.unit.nft_fakes import InMemoryNftRepository, InMemoryUserDirectory

pytestmark = pytest.mark.unit

ALICE, BOB = uuid4(), uuid4()


@pytest.fixture
def repo() -> InMemoryNftRepository:
    return InMemoryNftRepository()


@pytest.fixture
def wakes() -> list[int]:
    return []


@pytest.fixture
def deps(repo, clock, wakes) -> use_cases.NftDeps:
    return build_deps(
        repo, InMemoryUserDirectory(ALICE, BOB), clock=clock, wake_relay=lambda: wakes.append(1)
    )


async def mint(deps: use_cases.NftDeps, owner: UUID = ALICE) -> Nft:
    return await use_cases.mint_nft(
        deps, minter_id=owner, name="Ape #1", description="", metadata=NftMetadata()
    )


def queued(repo: InMemoryNftRepository) -> list[OutboxMessage]:
    return sorted(repo.outbox.messages.values(), key=lambda m: m.id)


async def test_a_mint_queues_nft_minted_for_the_owner(deps, repo, wakes):
    nft = await mint(deps)
    [message] = queued(repo)
    [minted] = repo.chain.transactions
    assert message.topic == NOTIFICATION_TOPIC
    assert message.payload == {
        "eventId": str(uuid5(EVENT_NAMESPACE, nft.mint_tx_hash)),
        "type": "nft.minted",
        "userId": str(ALICE),
        "occurredAt": "2026-01-01T00:00:00Z",  # the ledger transaction's timestamp
        "data": {"nftId": str(nft.id), "nftName": "Ape #1"},
    }
    assert minted.timestamp.isoformat() == "2026-01-01T00:00:00+00:00"
    assert wakes == [1]  # after the commit


async def test_a_transfer_queues_one_event_for_both_sides(deps, repo, clock, wakes):
    nft = await mint(deps)
    clock.advance(5)
    moved = await use_cases.transfer_nft(deps, nft.id, caller_id=ALICE, to_user_id=BOB)
    _, sender, receiver = queued(repo)
    event_id = str(event_id_of(moved.last_tx_hash))
    data = {
        "nftId": str(nft.id),
        "nftName": "Ape #1",
        "fromUserId": str(ALICE),
        "toUserId": str(BOB),
    }
    for message, user in ((sender, ALICE), (receiver, BOB)):
        assert message.topic == NOTIFICATION_TOPIC
        assert message.payload == {
            "eventId": event_id,  # one event, two recipients
            "type": "nft.transferred",
            "userId": str(user),
            "occurredAt": "2026-01-01T00:00:05Z",
            "data": data,
        }
    assert wakes == [1, 1]


async def test_event_ids_are_deterministic_per_ledger_transaction(deps, repo):
    first, second = await mint(deps), await mint(deps)
    ids = [m.payload["eventId"] for m in queued(repo)]
    assert ids == [str(event_id_of(first.mint_tx_hash)), str(event_id_of(second.mint_tx_hash))]
    assert len(set(ids)) == 2
    # The same hash always names the same event: a redelivery is recognised downstream.
    assert event_id_of(first.mint_tx_hash) == event_id_of(first.mint_tx_hash)
    # Pinned: a changed scheme would renumber queued events and notify everyone twice.
    assert event_id_of("0" * 64) == UUID("fa822b85-5d1d-58fa-8a9d-400757af4a65")


async def test_a_failure_after_the_ledger_entry_queues_nothing(deps, repo, wakes, monkeypatch):
    async def broken(nft):
        raise ConnectionError("lost the database mid-transaction")

    monkeypatch.setattr(repo, "add", broken)
    with pytest.raises(ConnectionError):
        await mint(deps)
    assert queued(repo) == [] and repo.chain.transactions == [] and wakes == []


async def test_a_failed_message_write_undoes_the_mint(deps, repo, monkeypatch):
    async def broken(topic, payload):
        raise ConnectionError("lost the database mid-transaction")

    monkeypatch.setattr(repo.outbox, "add", broken)
    with pytest.raises(ConnectionError):
        await mint(deps)
    assert repo.nfts == {} and repo.chain.transactions == []


async def test_a_refused_transfer_queues_nothing(deps, repo):
    nft = await mint(deps)
    repo.before_next_transaction(
        lambda r: r.nfts.update({nft.id: nft.transferred(by=ALICE, to=BOB, at=nft.created_at)})
    )
    with pytest.raises(ConcurrentOwnershipChange):
        await use_cases.transfer_nft(deps, nft.id, caller_id=ALICE, to_user_id=BOB)
    assert [m.payload["type"] for m in queued(repo)] == ["nft.minted"]
