"""In-memory stand-ins for the nft service's ports, and its REST app on them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from connexion import AsyncApp

from services.common.outbox import InMemoryOutboxStore
from services.nft.bootstrap import bootstrap, build_deps
from services.nft.config import NftSettings
from services.nft.domain.errors import ChainRefused, UserServiceUnavailable
from services.nft.domain.ledger import GENESIS_HASH, ChainTransaction, TxKind, next_transaction
from services.nft.domain.ledger_audit import ChainAudit, ChainVerification
from services.nft.domain.model import MetadataVersion, Nft, SaleApproval
from services.nft.mappers import nft_to_contract, version_to_contract
from services.nft.service_layer.ports import NftRepository
from tests.support.tokens import jwks_url


class InMemoryChain:
    """A ledger in a list, built and checked with the same domain code as the real one."""

    def __init__(self) -> None:
        self.transactions: list[ChainTransaction] = []

    async def mint(self, *, to: UUID, at: datetime) -> ChainTransaction:
        minted = sum(tx.kind is TxKind.MINT for tx in self.transactions)
        return self._append(TxKind.MINT, minted + 1, None, to, at)

    async def transfer(
        self, token_id: int, *, from_id: UUID, to: UUID, at: datetime
    ) -> ChainTransaction:
        owners = [tx.to_id for tx in self.transactions if tx.token_id == token_id]
        if not owners or owners[-1] != from_id:
            raise ChainRefused(token_id)
        return self._append(TxKind.TRANSFER, token_id, from_id, to, at)

    async def history(
        self, token_id: int, *, limit: int, offset: int
    ) -> Sequence[ChainTransaction]:
        return [tx for tx in self.transactions if tx.token_id == token_id][offset : offset + limit]

    async def verify(self) -> ChainVerification:
        audit = ChainAudit()
        for tx in self.transactions:
            audit.check(tx)
        return audit.result()

    def _append(
        self, kind: TxKind, token_id: int, sender: UUID | None, to: UUID, at: datetime
    ) -> ChainTransaction:
        last = self.transactions[-1] if self.transactions else None
        tx = next_transaction(
            block_number=last.block_number + 1 if last else 1,
            prev_hash=last.tx_hash if last else GENESIS_HASH,
            kind=kind,
            token_id=token_id,
            from_id=sender,
            to_id=to,
            at=at,
        )
        self.transactions.append(tx)
        return tx


class MappedNftViews:
    """The read models as the domain path answers them: the repository's NFTs through the
    mappers. On the fakes they are the views; on a real database, what SqlNftViews must equal."""

    def __init__(self, repository: NftRepository) -> None:
        self._repository = repository

    async def nft(self, nft_id: UUID) -> dict[str, Any] | None:
        nft = await self._repository.get(nft_id)
        return None if nft is None else nft_to_contract(nft)

    async def owned_by(self, owner_id: UUID, *, limit: int, offset: int) -> list[dict[str, Any]]:
        nfts = await self._repository.list_by_owner(owner_id, limit=limit, offset=offset)
        return [nft_to_contract(nft) for nft in nfts]

    async def versions(
        self, nft_id: UUID, *, limit: int, offset: int
    ) -> list[dict[str, Any]] | None:
        if await self._repository.get(nft_id) is None:
            return None
        versions = await self._repository.versions(nft_id, limit=limit, offset=offset)
        return [version_to_contract(version) for version in versions]


class InMemoryNftRepository:
    def __init__(self) -> None:
        self.nfts: dict[UUID, Nft] = {}
        self.versions_of: dict[UUID, list[MetadataVersion]] = {}
        self.chain = InMemoryChain()
        # In the same "database": its messages roll back with `atomic` like everything else.
        self.outbox = InMemoryOutboxStore(lambda: datetime.now(UTC))
        self._interloper: Callable[[InMemoryNftRepository], None] | None = None
        self._transaction = asyncio.Lock()

    def before_next_transaction(self, change: Callable[[InMemoryNftRepository], None]) -> None:
        """Another writer commits `change` after our read, just before our transaction."""
        self._interloper = change

    @asynccontextmanager
    async def atomic(self) -> AsyncIterator[object]:
        # One at a time; on failure everything, the chain included, is as it was.
        async with self._transaction:
            if self._interloper is not None:
                change, self._interloper = self._interloper, None
                change(self)
            saved = (
                dict(self.nfts),
                {k: list(v) for k, v in self.versions_of.items()},
                list(self.chain.transactions),
                dict(self.outbox.messages),
            )
            try:
                yield self
            except BaseException:
                (
                    self.nfts,
                    self.versions_of,
                    self.chain.transactions,
                    self.outbox.messages,
                ) = saved
                raise

    def local_chain(self) -> InMemoryChain:
        return self.chain

    def local_outbox(self) -> InMemoryOutboxStore:
        return self.outbox

    def views(self) -> MappedNftViews:
        return MappedNftViews(self)

    async def add(self, nft: Nft) -> None:
        self.nfts[nft.id] = nft

    async def add_minted(self, nft: Nft, first_version: MetadataVersion) -> None:
        await self.add(nft)
        await self.add_version(first_version)

    async def get(self, nft_id: UUID) -> Nft | None:
        return self.nfts.get(nft_id)

    async def list_by_owner(self, owner_id: UUID, *, limit: int, offset: int) -> Sequence[Nft]:
        owned = [n for n in self.nfts.values() if n.owner_id == owner_id and not n.hidden]
        owned.sort(key=lambda n: (-n.created_at.timestamp(), str(n.id)))
        return owned[offset : offset + limit]

    async def change_owner(
        self,
        nft_id: UUID,
        *,
        expected_owner: UUID,
        new_owner: UUID,
        at: datetime,
        approved_listing: UUID | None = None,
    ) -> bool:
        nft = self.nfts.get(nft_id)
        if nft is None or nft.owner_id != expected_owner:
            return False
        if approved_listing is not None and (
            nft.sale_approval != SaleApproval(approved_listing, expected_owner) or nft.hidden
        ):
            return False
        self.nfts[nft_id] = replace(nft, owner_id=new_owner, updated_at=at, sale_approval=None)
        return True

    async def approve_sale(
        self, nft_id: UUID, *, listing_id: UUID, approved_by: UUID, at: datetime
    ) -> bool:
        nft = self.nfts.get(nft_id)
        if nft is None or nft.owner_id != approved_by or nft.hidden:
            return False
        approval = SaleApproval(listing_id, approved_by)
        self.nfts[nft_id] = replace(nft, sale_approval=approval, updated_at=at)
        return True

    async def withdraw_sale_approval(
        self, nft_id: UUID, *, approved_by: UUID, listing_id: UUID | None, at: datetime
    ) -> bool:
        nft = self.nfts.get(nft_id)
        approval = None if nft is None else nft.sale_approval
        if nft is None or approval is None or approval.approved_by != approved_by:
            return False
        if listing_id not in (None, approval.listing_id):
            return False
        self.nfts[nft_id] = replace(nft, sale_approval=None, updated_at=at)
        return True

    async def record_transaction(self, nft_id: UUID, tx_hash: str) -> None:
        self.nfts[nft_id] = self.nfts[nft_id].recorded(tx_hash)

    async def update_details(
        self, nft: Nft, *, expected_owner: UUID, expected_version: int
    ) -> bool:
        stored = self.nfts.get(nft.id)
        if stored is None or (stored.owner_id, stored.version) != (
            expected_owner,
            expected_version,
        ):
            return False
        self.nfts[nft.id] = nft
        return True

    async def add_version(self, version: MetadataVersion) -> None:
        versions = self.versions_of.setdefault(version.nft_id, [])
        if any(v.version == version.version for v in versions):
            raise ValueError("version already taken")  # the database's unique constraint
        versions.append(version)

    async def versions(self, nft_id: UUID, *, limit: int, offset: int) -> Sequence[MetadataVersion]:
        newest_first = sorted(self.versions_of.get(nft_id, []), key=lambda v: -v.version)
        return newest_first[offset : offset + limit]

    async def set_moderation(self, nft: Nft) -> bool:
        if nft.id not in self.nfts:
            return False
        self.nfts[nft.id] = nft
        return True


class InMemoryUserDirectory:
    """The user service as a set of ids; `down()` makes it unreachable until `up()`. Records
    who asked with which token: tests see the caller's token forwarded, and when nobody asked."""

    def __init__(self, *users: UUID) -> None:
        self.users: set[UUID] = set(users)
        self.asked: list[tuple[UUID, str | None]] = []
        self._down = False

    def add(self, *users: UUID) -> None:
        self.users.update(users)

    def down(self) -> None:
        self._down = True

    def up(self) -> None:
        self._down = False

    async def exists(self, user_id: UUID, *, bearer_token: str | None) -> bool:
        self.asked.append((user_id, bearer_token))
        if self._down:
            raise UserServiceUnavailable("it cannot be reached")
        return user_id in self.users


def nft_app(
    users: InMemoryUserDirectory,
    repository: InMemoryNftRepository | None = None,
    **settings_given: object,
) -> AsyncApp:
    """nft's REST app on the fakes (a new repository unless given), its answers validated
    against the contract, trusting the test tokens (tests.support.tokens); `settings_given`
    add to its settings."""
    settings = NftSettings(validate_responses=True, jwks_url=jwks_url(), **settings_given)
    repository = InMemoryNftRepository() if repository is None else repository
    return bootstrap(settings, deps=build_deps(repository, users))
