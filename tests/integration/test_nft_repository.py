"""TortoiseNftRepository against real databases, schema from the migrations."""

from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from uuid import uuid4

import pytest
from tortoise import Tortoise
from tortoise.exceptions import IntegrityError

from services.common.database import apply_migrations, service_database
from services.nft.adapters.repository import TortoiseNftRepository
from services.nft.config import NftSettings
from services.nft.domain.model import Attribute, MetadataVersion, Nft, NftMetadata, SaleApproval
from tests.integration.conftest import migrated_and_open

pytestmark = pytest.mark.integration

NFT_MIGRATIONS = sorted(
    (Path(__file__).resolve().parents[2] / "services" / "nft" / "migrations").glob("0*.py")
)

ALICE, BOB = uuid4(), uuid4()
T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
TOKEN_IDS = count(1)


@pytest.fixture
async def repo(database_url):
    async with migrated_and_open(service_database("nft", NftSettings(database_url=database_url))):
        yield TortoiseNftRepository()


def an_nft(owner=ALICE, at=T0, name="Ape") -> Nft:
    token_id = next(TOKEN_IDS)
    return Nft(
        id=uuid4(),
        name=name,
        description="d",
        owner_id=owner,
        creator_id=owner,
        created_at=at,
        updated_at=at,
        token_id=token_id,
        mint_tx_hash=f"{token_id:064x}",
        last_tx_hash=f"{token_id:064x}",
        metadata=NftMetadata(
            image="https://img.example/é.png",
            attributes=(Attribute("eyes", "blue"), Attribute("hat", "")),
            creator="Ålice",
        ),
    )


async def test_an_nft_reads_back_exactly(repo):
    nft = an_nft()
    await repo.add(nft)
    assert await repo.get(nft.id) == nft
    assert await repo.get(uuid4()) is None


async def test_list_by_owner_is_newest_first_with_pages(repo):
    nfts = [an_nft(at=T0 + timedelta(seconds=i), name=f"n{i}") for i in range(5)]
    for nft in nfts:
        await repo.add(nft)
    await repo.add(an_nft(owner=BOB))
    pages = [await repo.list_by_owner(ALICE, limit=2, offset=o) for o in (0, 2, 4)]
    assert [n.name for page in pages for n in page] == ["n4", "n3", "n2", "n1", "n0"]


async def test_change_owner_is_compare_and_set(repo):
    nft = an_nft()
    await repo.add(nft)
    later = T0 + timedelta(minutes=1)
    assert await repo.change_owner(nft.id, expected_owner=ALICE, new_owner=BOB, at=later)
    # A second writer that still believes ALICE owns it loses.
    assert not await repo.change_owner(nft.id, expected_owner=ALICE, new_owner=uuid4(), at=later)
    stored = await repo.get(nft.id)
    assert (stored.owner_id, stored.updated_at) == (BOB, later)


async def test_details_change_only_while_the_expected_owner_owns_it(repo):
    nft = an_nft()
    await repo.add(nft)
    later = T0 + timedelta(minutes=1)
    edited = nft.updated(by=ALICE, at=later, name="Renamed", metadata=NftMetadata(image="x"))
    assert await repo.update_details(edited, expected_owner=ALICE, expected_version=1)
    assert await repo.get(nft.id) == edited
    await repo.change_owner(nft.id, expected_owner=ALICE, new_owner=BOB, at=later)
    stale = edited.updated(by=ALICE, at=later, name="Too late")
    assert not await repo.update_details(stale, expected_owner=ALICE, expected_version=2)
    assert (await repo.get(nft.id)).name == "Renamed"


async def test_details_change_only_from_the_expected_version(repo):
    nft = an_nft()
    await repo.add(nft)
    ours = nft.updated(by=ALICE, at=T0, name="ours")
    theirs = nft.updated(by=ALICE, at=T0, description="theirs")
    assert await repo.update_details(theirs, expected_owner=ALICE, expected_version=1)
    assert not await repo.update_details(ours, expected_owner=ALICE, expected_version=1)
    stored = await repo.get(nft.id)
    assert (stored.name, stored.description, stored.version) == ("Ape", "theirs", 2)


async def test_versions_read_back_newest_first_and_each_number_once(repo):
    nft = an_nft()
    await repo.add(nft)
    versions = [
        MetadataVersion(
            nft_id=nft.id,
            version=number,
            name=f"v{number}",
            description="d",
            metadata=nft.metadata,
            changed_by=ALICE,
            changed_at=T0 + timedelta(seconds=number),
        )
        for number in (1, 2, 3)
    ]
    for version in versions:
        await repo.add_version(version)
    assert await repo.versions(nft.id, limit=10, offset=0) == versions[::-1]
    assert await repo.versions(nft.id, limit=1, offset=1) == [versions[1]]
    assert await repo.versions(uuid4(), limit=10, offset=0) == []
    with pytest.raises(IntegrityError):
        await repo.add_version(versions[0])


async def test_the_latest_transaction_is_recorded(repo):
    nft = an_nft()
    await repo.add(nft)
    await repo.record_transaction(nft.id, "a" * 64)
    stored = await repo.get(nft.id)
    assert (stored.mint_tx_hash, stored.last_tx_hash) == (nft.mint_tx_hash, "a" * 64)


async def test_hidden_nfts_leave_the_owners_listing_and_keep_their_reason(repo):
    shown, hidden = an_nft(name="shown"), an_nft(name="hidden", at=T0 + timedelta(seconds=1))
    for nft in (shown, hidden):
        await repo.add(nft)
    moderated = hidden.moderated(hidden=True, reason="spam", at=T0 + timedelta(minutes=1))
    assert await repo.set_moderation(moderated)
    assert await repo.get(hidden.id) == moderated
    assert [n.name for n in await repo.list_by_owner(ALICE, limit=10, offset=0)] == ["shown"]
    assert not await repo.set_moderation(an_nft())  # no such NFT


LISTING, OTHER_LISTING = uuid4(), uuid4()


async def test_a_sale_approval_is_stored_only_for_the_visible_owners_nft(repo):
    nft = an_nft()
    await repo.add(nft)
    assert not await repo.approve_sale(nft.id, listing_id=LISTING, approved_by=BOB, at=T0)
    assert await repo.approve_sale(nft.id, listing_id=LISTING, approved_by=ALICE, at=T0)
    assert (await repo.get(nft.id)).sale_approval == SaleApproval(LISTING, ALICE)
    assert await repo.approve_sale(nft.id, listing_id=OTHER_LISTING, approved_by=ALICE, at=T0)
    assert (await repo.get(nft.id)).sale_listing_id == OTHER_LISTING  # replaced
    await repo.set_moderation(nft.moderated(hidden=True, reason="spam", at=T0))
    assert not await repo.approve_sale(nft.id, listing_id=LISTING, approved_by=ALICE, at=T0)
    assert (await repo.get(nft.id)).sale_listing_id == OTHER_LISTING


async def test_a_withdrawal_removes_only_the_givers_approval_for_its_listing(repo):
    nft = an_nft()
    await repo.add(nft)
    await repo.approve_sale(nft.id, listing_id=LISTING, approved_by=ALICE, at=T0)
    later = T0 + timedelta(seconds=1)
    withdraw = repo.withdraw_sale_approval
    assert not await withdraw(nft.id, approved_by=BOB, listing_id=None, at=later)
    assert not await withdraw(nft.id, approved_by=ALICE, listing_id=OTHER_LISTING, at=later)
    assert (await repo.get(nft.id)).sale_listing_id == LISTING
    assert await withdraw(nft.id, approved_by=ALICE, listing_id=LISTING, at=later)
    stored = await repo.get(nft.id)
    assert (stored.sale_approval, stored.updated_at) == (None, later)
    assert not await withdraw(nft.id, approved_by=ALICE, listing_id=None, at=later)


async def test_a_move_ends_the_approval_and_a_sale_needs_it(repo):
    nft = an_nft()
    await repo.add(nft)
    move = repo.change_owner
    await repo.approve_sale(nft.id, listing_id=LISTING, approved_by=ALICE, at=T0)
    assert not await move(
        nft.id, expected_owner=ALICE, new_owner=BOB, at=T0, approved_listing=OTHER_LISTING
    )
    assert await move(nft.id, expected_owner=ALICE, new_owner=BOB, at=T0, approved_listing=LISTING)
    stored = await repo.get(nft.id)
    assert (stored.owner_id, stored.sale_approval) == (BOB, None)
    # A plain move (an owner's transfer) ends an approval too.
    await repo.approve_sale(nft.id, listing_id=LISTING, approved_by=BOB, at=T0)
    assert await move(nft.id, expected_owner=BOB, new_owner=ALICE, at=T0)
    assert (await repo.get(nft.id)).sale_approval is None


async def test_a_sale_of_an_nft_hidden_meanwhile_moves_nothing(repo):
    nft = an_nft()
    await repo.add(nft)
    await repo.approve_sale(nft.id, listing_id=LISTING, approved_by=ALICE, at=T0)
    await repo.set_moderation(nft.moderated(hidden=True, reason="stolen art", at=T0))
    sale = {"expected_owner": ALICE, "new_owner": BOB, "at": T0, "approved_listing": LISTING}
    assert not await repo.change_owner(nft.id, **sale)
    assert (await repo.get(nft.id)).owner_id == ALICE


async def test_migrations_are_idempotent(repo, database_url):
    await apply_migrations(service_database("nft", NftSettings(database_url=database_url)))
    _, rows = await Tortoise.get_connection("nft").execute_query(
        "SELECT COUNT(*) AS n FROM tortoise_migrations"
    )
    # Each migration recorded once, though applied twice.
    assert dict(rows[0])["n"] == len(NFT_MIGRATIONS)


async def test_default_sqlite_file_is_durable_wal(tmp_path):
    # No database_url: the service's default, a SQLite file in its data dir.
    spec = service_database("nft", NftSettings(data_dir=tmp_path))
    async with migrated_and_open(spec):
        connection = Tortoise.get_connection("nft")
        _, journal = await connection.execute_query("PRAGMA journal_mode")
        _, synchronous = await connection.execute_query("PRAGMA synchronous")
    assert (tmp_path / "nft.sqlite3").exists()
    assert next(iter(journal[0])) == "wal"
    assert next(iter(synchronous[0])) == 2  # FULL
