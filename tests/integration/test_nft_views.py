"""The nft read models on real databases answer exactly what the domain path answered: the
repository's NFTs through the mappers, down to the bytes of the JSON."""

import json
from datetime import UTC, datetime, timedelta, timezone
from itertools import count
from uuid import UUID, uuid4

import pytest

from services.common.database import service_database
from services.nft.adapters.orm import NftRecord
from services.nft.adapters.repository import TortoiseNftRepository
from services.nft.adapters.views import SqlNftViews
from services.nft.config import NftSettings
from services.nft.domain.model import Attribute, Nft, NftMetadata
from tests.integration.conftest import migrated_and_open
from tests.unit.nft_fakes import MappedNftViews

pytestmark = pytest.mark.integration

ALICE, BOB = uuid4(), uuid4()
T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
TOKEN_IDS = count(1)


@pytest.fixture
async def repo(database_url):
    async with migrated_and_open(service_database("nft", NftSettings(database_url=database_url))):
        yield TortoiseNftRepository()


def an_nft(owner=ALICE, at=T0, name="Ape", metadata=None) -> Nft:
    token_id = next(TOKEN_IDS)
    return Nft(
        id=uuid4(),
        name=name,
        description="d",
        owner_id=owner,
        creator_id=owner,
        created_at=at,
        updated_at=at + timedelta(microseconds=1),
        token_id=token_id,
        mint_tx_hash=f"{token_id:064x}",
        last_tx_hash=f"{token_id:064x}",
        metadata=metadata
        or NftMetadata(
            image="https://img.example/é.png",
            attributes=(Attribute("eyes", "blue"), Attribute("hat", "")),
            creator="Ålice",
        ),
    )


def as_json(answer) -> str:
    return json.dumps(answer)  # key order counts: the response body is written in it


async def assert_same_answers(repo, *owners, nft_ids=()):
    sql, mapped = SqlNftViews(), MappedNftViews(repo)
    for owner in owners:
        for limit, offset in ((100, 0), (2, 0), (2, 2), (3, 4), (1, 100)):
            expected = await mapped.owned_by(owner, limit=limit, offset=offset)
            answered = await sql.owned_by(owner, limit=limit, offset=offset)
            assert as_json(answered) == as_json(expected), (owner, limit, offset)
    for nft_id in nft_ids:
        assert as_json(await sql.nft(nft_id)) == as_json(await mapped.nft(nft_id))


async def test_a_users_nfts_and_each_nft_read_as_the_domain_path_answers(repo):
    odd_times = [
        T0.replace(microsecond=0),  # isoformat leaves out a zero fraction
        T0.replace(microsecond=500000),
        T0.replace(microsecond=999999) + timedelta(seconds=59),  # no rounding up
        T0.astimezone(timezone(timedelta(hours=2))),  # stored with another offset
        T0 + timedelta(days=400),
    ]
    nfts = [an_nft(at=at, name=f"n{i}") for i, at in enumerate(odd_times)]
    nfts += [an_nft(at=T0, name="same time"), an_nft(at=T0, name="same time too")]
    nfts.append(an_nft(name="bare", metadata=NftMetadata()))
    nfts.append(an_nft(owner=BOB, name="Bob's"))
    for nft in nfts:
        await repo.add(nft)
    # A sale approval shows while its giver owns the NFT, and not once it moved on.
    approved, moved = nfts[1], nfts[2]
    assert await repo.approve_sale(approved.id, listing_id=uuid4(), approved_by=ALICE, at=T0)
    await NftRecord.filter(id=moved.id).update(sale_listing_id=uuid4(), sale_approved_by=BOB)
    # Hidden: out of the owner's list, still readable on its own with its reason.
    hidden = nfts[3].moderated(hidden=True, reason="spam ✓", at=T0 + timedelta(minutes=1))
    assert await repo.set_moderation(hidden)

    await assert_same_answers(repo, ALICE, BOB, uuid4(), nft_ids=[n.id for n in nfts])
    listed = await SqlNftViews().owned_by(ALICE, limit=100, offset=0)
    assert hidden.id not in {UUID(n["id"]) for n in listed}
    assert len(listed) == len(nfts) - 2
    shown = await SqlNftViews().nft(hidden.id)
    assert (shown["hidden"], shown["hiddenReason"]) == (True, "spam ✓")
    assert (await SqlNftViews().nft(approved.id))["saleListingId"] is not None
    assert (await SqlNftViews().nft(moved.id))["saleListingId"] is None


async def test_metadata_versions_read_as_the_domain_path_answers(repo):
    nft, other = an_nft(), an_nft(owner=BOB)
    for stored in (nft, other):
        await repo.add(stored)
        await repo.add_version(stored.details_version(by=stored.owner_id))
    edits = [
        ("renamed", NftMetadata(), T0.replace(microsecond=0)),
        ("again", NftMetadata(image="https://img.example/x.png"), T0 + timedelta(hours=1)),
        ("by Bob", NftMetadata(creator="Bob"), T0.astimezone(timezone(timedelta(hours=9)))),
    ]
    for name, metadata, at in edits:
        nft = nft.updated(by=ALICE, name=name, metadata=metadata, at=at)
        await repo.add_version(nft.details_version(by=ALICE))

    sql, mapped = SqlNftViews(), MappedNftViews(repo)
    for nft_id in (nft.id, other.id, uuid4()):
        for limit, offset in ((100, 0), (2, 0), (2, 2), (1, 100)):
            expected = await mapped.versions(nft_id, limit=limit, offset=offset)
            answered = await sql.versions(nft_id, limit=limit, offset=offset)
            assert as_json(answered) == as_json(expected), (nft_id, limit, offset)
    assert [v["version"] for v in await sql.versions(nft.id, limit=9, offset=0)] == [4, 3, 2, 1]
    assert await sql.versions(nft.id, limit=9, offset=9) == []  # past the end, still known
    assert await sql.versions(uuid4(), limit=9, offset=0) is None


async def test_timestamps_read_in_the_contracts_form(repo):
    nft = an_nft(at=T0.replace(microsecond=0))
    await repo.add(nft)
    answered = await SqlNftViews().nft(nft.id)
    assert (answered["createdAt"], answered["updatedAt"]) == (
        "2026-03-01T12:00:00Z",
        "2026-03-01T12:00:00.000001Z",
    )


async def test_nothing_to_show_is_an_empty_list_or_none(repo):
    assert await SqlNftViews().owned_by(ALICE, limit=50, offset=0) == []
    assert await SqlNftViews().nft(uuid4()) is None
    await repo.add(an_nft())
    assert await SqlNftViews().owned_by(ALICE, limit=50, offset=1) == []
