"""The upgrade to the chain ledger on a database with NFTs from before it (SQLite and
PostgreSQL): each NFT gets a token and a mint in creation order, a moved NFT a transfer to its
owner, and a first metadata version; the chain verifies and new work continues it."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate

from services.common.database import service_database
from services.nft.adapters.orm import LedgerHeadRecord
from services.nft.adapters.repository import TortoiseNftRepository
from services.nft.bootstrap import build_deps
from services.nft.config import NftSettings
from services.nft.domain.ledger import TxKind
from services.nft.domain.model import NftMetadata
from services.nft.service_layer import queries, use_cases
from tests.integration.conftest import migrated_and_open
from tests.unit.nft_fakes import InMemoryUserDirectory

pytestmark = pytest.mark.integration

ALICE, BOB = uuid4(), uuid4()
T0 = datetime(2026, 1, 1, 9, 0, 0, 123456, tzinfo=UTC)
# (name, creator, owner, created, updated, metadata), inserted out of creation order.
OLD_NFTS = {
    "moved": (ALICE, BOB, T0 + timedelta(seconds=1), T0 + timedelta(days=1), "{}"),
    "kept": (ALICE, ALICE, T0, T0, '{"attributes":[{"traitType":"eyes","value":"blue"}]}'),
    "later": (BOB, BOB, T0 + timedelta(seconds=2), T0 + timedelta(seconds=2), "{}"),
}
INSERT = (
    "INSERT INTO nft (id, name, description, metadata, owner_id, creator_id, created_at, "
    "updated_at, hidden) VALUES ('{}', '{}', 'old', '{}', '{}', '{}', '{}', '{}', false)"
)
OWNER_INDEX = {
    "sqlite": "SELECT name FROM sqlite_master WHERE name = 'idx_nft_owner_created'",
    "postgres": "SELECT indexname FROM pg_indexes WHERE indexname = 'idx_nft_owner_created'",
}


async def test_nfts_from_before_the_ledger_are_backfilled_onto_it(database_url):
    EXECUTOR_CACHE.clear()
    spec = service_database("nft", NftSettings(database_url=database_url))
    async with TortoiseContext():
        await migrate(config=spec.tortoise_config(), target="nft.0003_idempotency")
    ids = {name: uuid4() for name in OLD_NFTS}
    async with TortoiseContext() as context:
        await context.init(config=spec.tortoise_config())
        for name, (creator, owner, created, updated, metadata) in OLD_NFTS.items():
            await context.connections.get("nft").execute_script(
                INSERT.format(
                    ids[name],
                    name,
                    metadata,
                    owner,
                    creator,
                    created.isoformat(sep=" "),
                    updated.isoformat(sep=" "),
                )
            )

    async with migrated_and_open(spec):  # the start-up path applies the rest
        deps = build_deps(TortoiseNftRepository(), InMemoryUserDirectory(ALICE, BOB))
        nfts = {name: await use_cases.get_nft(deps, ids[name]) for name in OLD_NFTS}
        assert {name: nft.token_id for name, nft in nfts.items()} == {
            "kept": 1,
            "moved": 2,
            "later": 3,
        }
        assert nfts["kept"].metadata.attributes[0].value == "blue"
        assert {nft.sale_listing_id for nft in nfts.values()} == {None}  # none approved yet

        moved = await queries.ownership_history(deps, ids["moved"], limit=10, offset=0)
        assert [(tx.kind, tx.from_id, tx.to_id) for tx in moved] == [
            (TxKind.MINT, None, ALICE),
            (TxKind.TRANSFER, ALICE, BOB),
        ]
        assert [tx.block_number for tx in moved] == [2, 4]  # mints first, then transfers
        assert [tx.timestamp for tx in moved] == [T0 + timedelta(seconds=1), T0 + timedelta(days=1)]
        assert (nfts["moved"].mint_tx_hash, nfts["moved"].last_tx_hash) == (
            moved[0].tx_hash,
            moved[1].tx_hash,
        )
        assert nfts["kept"].mint_tx_hash == nfts["kept"].last_tx_hash

        for name, nft in nfts.items():
            [first] = await deps.repository.versions(nft.id, limit=10, offset=0)
            creator, _, created, _, _ = OLD_NFTS[name]
            assert (first.version, first.name, first.metadata, nft.version) == (
                1,
                name,
                nft.metadata,
                1,
            )
            assert (first.changed_by, first.changed_at) == (creator, created)

        verdict = await queries.verify_chain(deps)
        assert (verdict.entries, verdict.valid) == (4, True)
        head = await LedgerHeadRecord.get(id=1)
        assert (head.block_number, head.tx_hash, head.last_token_id) == (4, moved[1].tx_hash, 3)

        # New work continues the backfilled chain.
        new = await use_cases.mint_nft(
            deps, minter_id=BOB, name="new", description="", metadata=NftMetadata()
        )
        assert new.token_id == 4
        await use_cases.transfer_nft(deps, ids["kept"], caller_id=ALICE, to_user_id=BOB)
        edited = await use_cases.update_nft(deps, ids["later"], caller_id=BOB, name="renamed")
        assert edited.version == 2
        verdict = await queries.verify_chain(deps)
        assert (verdict.entries, verdict.valid) == (6, True)

        # On SQLite the NOT NULL changes rebuild the table; the owner listing's index survives.
        connection = Tortoise.get_connection("nft")
        _, rows = await connection.execute_query(OWNER_INDEX[connection.capabilities.dialect])
        assert len(rows) == 1
