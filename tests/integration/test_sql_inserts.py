"""services.common.sql_inserts on real databases (SQLite and PostgreSQL): a row it inserts reads
back through the model exactly as the same values written by `Model.create`."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from tortoise.exceptions import IntegrityError

from services.common.database import service_database
from services.common.sql_inserts import insert_row
from services.nft.adapters.orm import CONNECTION, NftVersionRecord
from services.nft.config import NftSettings
from tests.integration.conftest import migrated_and_open

pytestmark = pytest.mark.integration

FIELDS = ("nft_id", "version", "name", "description", "metadata", "changed_by", "changed_at")


async def test_an_inserted_row_reads_back_as_the_orm_writes_it(database_url):
    async with migrated_and_open(service_database("nft", NftSettings(database_url=database_url))):
        values = {
            "version": 1,
            "name": "Ape “ünïcode”",
            "description": "",
            "metadata": {"image": "https://img.example/a.png", "attributes": [{"v": 1.5}]},
            "changed_by": uuid4(),
            "changed_at": datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC),
        }
        mine, theirs = uuid4(), uuid4()
        await insert_row(CONNECTION, NftVersionRecord, {"nft_id": mine, **values})
        await NftVersionRecord.create(nft_id=theirs, **values)
        [inserted] = await NftVersionRecord.filter(nft_id=mine).values(*FIELDS)
        [created] = await NftVersionRecord.filter(nft_id=theirs).values(*FIELDS)
        assert {**inserted, "nft_id": theirs} == created
        with pytest.raises(IntegrityError):  # (nft_id, version) is unique
            await insert_row(CONNECTION, NftVersionRecord, {"nft_id": mine, **values})
