"""Read models vs the domain path, in-process: a user's NFTS NFTs (the seed's read) from the
database to the contract's dicts, through QuerySet + model instances + domain objects + mappers
(what the handler did before) and through nft's read model (one SQL statement, rows to dicts).
CPU time of this process (its threads included: aiosqlite's), per read, on SQLite and on
PostgreSQL; the two paths take turns so background load hits them alike."""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from tortoise.backends.base.executor import EXECUTOR_CACHE

from bench.common import compare, table
from bench.nft_read import NFTS
from bench.rest_throughput import POSTGRES, drop_database, postgres_unavailable
from services.common.database import (
    SQLITE_PRAGMAS,
    DatabaseSpec,
    apply_migrations,
    close_database,
    open_database,
)
from services.nft.adapters.orm import CONNECTION
from services.nft.adapters.repository import TortoiseNftRepository
from services.nft.adapters.views import SqlNftViews
from services.nft.domain.model import Attribute, Nft, NftMetadata
from services.nft.mappers import nft_to_contract

TITLE = "Read models: rows to contract JSON in-process"
COMMAND = "python -m bench.read_models"
ROUNDS, READS_PER_ROUND = 10, 200
DOMAIN = "QuerySet + models + mappers"
VIEW = "read model (one statement)"

Read = Callable[[], Awaitable[list[dict[str, Any]]]]


def measure() -> str:
    rows, notes = [], []
    with tempfile.TemporaryDirectory(prefix="capsure-read-models-") as workdir:
        rows.append(["SQLite", *asyncio.run(_measure(_spec(f"sqlite://{workdir}/nft.sqlite3")))])
    if reason := postgres_unavailable():
        notes.append(f"**PostgreSQL skipped**: nothing answers at {POSTGRES} ({reason}).")
    else:
        name = f"capsure_bench_{uuid4().hex[:12]}"
        try:
            rows.append(["PostgreSQL", *asyncio.run(_measure(_spec(f"{POSTGRES}/{name}")))])
        finally:
            asyncio.run(drop_database(name))
    for database, domain, view in rows:
        compare(
            TITLE, f"CPU ms per read, {NFTS} NFTs, {database}", VIEW, view, DOMAIN, domain, "ms"
        )
    body = table(
        ["database", f"{DOMAIN}, CPU ms/read", f"{VIEW}, CPU ms/read", "÷"],
        [[d, f"{a:.3f}", f"{b:.3f}", f"{b / a:.2f}"] for d, a, b in rows],
    )
    return body + "\n" + "\n".join(notes) + "\n"


def _spec(url: str) -> DatabaseSpec:
    if url.startswith("sqlite://"):
        url = f"{url}?{SQLITE_PRAGMAS}"
    return DatabaseSpec(CONNECTION, url, "services.nft.adapters.orm", "services.nft.migrations")


async def _measure(spec: DatabaseSpec) -> tuple[float, float]:
    """CPU ms per read: the domain path, then the read model."""
    EXECUTOR_CACHE.clear()  # Tortoise caches SQL by connection name, whatever the dialect
    await apply_migrations(spec)
    await open_database(spec)
    try:
        repository, owner = TortoiseNftRepository(), uuid4()
        await _seed(repository, owner)
        views = SqlNftViews()

        async def domain() -> list[dict[str, Any]]:
            nfts = await repository.list_by_owner(owner, limit=50, offset=0)
            return [nft_to_contract(nft) for nft in nfts]

        async def view() -> list[dict[str, Any]]:
            return await views.owned_by(owner, limit=50, offset=0)

        assert await domain() == await view()
        spent = {domain: 0.0, view: 0.0}
        for _ in range(ROUNDS):
            for read in spent:
                spent[read] += await _cpu_seconds(read)
        reads = ROUNDS * READS_PER_ROUND
        return spent[domain] / reads * 1000, spent[view] / reads * 1000
    finally:
        await close_database()


async def _cpu_seconds(read: Read) -> float:
    started = time.process_time()
    for _ in range(READS_PER_ROUND):
        await read()
    return time.process_time() - started


async def _seed(repository: TortoiseNftRepository, owner: Any) -> None:
    """NFTS NFTs as bench.common.seed_nfts mints them, straight into the repository."""
    at = datetime.now(UTC)
    for n in range(NFTS):
        await repository.add(
            Nft(
                id=uuid4(),
                name=f"Bench #{n}",
                description="",
                owner_id=owner,
                creator_id=owner,
                created_at=at + timedelta(milliseconds=n),
                updated_at=at + timedelta(milliseconds=n),
                token_id=n + 1,
                mint_tx_hash=f"{n:064x}",
                last_tx_hash=f"{n:064x}",
                metadata=NftMetadata(
                    image=f"https://img.example/bench/{n}.png",
                    attributes=(Attribute("rank", str(n)),),
                ),
            )
        )


if __name__ == "__main__":
    from bench.common import main

    sys.exit(main(sys.modules[__name__]))
