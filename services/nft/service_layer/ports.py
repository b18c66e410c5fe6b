"""What the use cases need from the outside world.

`Chain` is the blockchain boundary: minting and transferring record the token there, and the
ownership history is read back from it. The default adapter (adapters/local_ledger.py) is a
local stand-in, an append-only hash-chained ledger in the nft database, so a chain record and
the ownership change commit in one transaction. A real blockchain client plugs in here instead
(e.g. an ERC-721 contract over JSON-RPC: mint/transfer send transactions and answer their
receipts, `history` reads the token's Transfer events, `verify` checks the node's view). A
chain outside the database cannot join its transaction: such an adapter would record intents
in an outbox within the transaction and confirm them asynchronously.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from services.nft.domain.ledger import ChainTransaction
from services.nft.domain.ledger_audit import ChainVerification
from services.nft.domain.model import MetadataVersion, Nft


class Chain(Protocol):
    async def mint(self, *, to: UUID, at: datetime) -> ChainTransaction:
        """Record a new token owned by `to`; the transaction carries its new token id."""
        ...

    async def transfer(
        self, token_id: int, *, from_id: UUID, to: UUID, at: datetime
    ) -> ChainTransaction: ...

    async def history(
        self, token_id: int, *, limit: int, offset: int
    ) -> Sequence[ChainTransaction]:
        """The token's transactions, its mint first, in block order."""
        ...

    async def verify(self) -> ChainVerification:
        """Check the whole chain: every hash recomputed, every link followed."""
        ...


class UserDirectory(Protocol):
    """Who the users are: the user service, asked with the caller's own token."""

    async def exists(self, user_id: UUID, *, bearer_token: str | None) -> bool:
        """Whether `user_id` is a user; raises UserServiceUnavailable when that cannot be
        known now (no answer, a timeout, or an answer outside the user contract)."""
        ...


class Outbox(Protocol):
    async def add(self, topic: str, payload: dict[str, Any]) -> None:
        """Queue a message for delivery, in the current transaction."""
        ...


class NftViews(Protocol):
    """The hot reads, answered in the contract's JSON straight from storage (no domain objects:
    nothing is decided on them). Exactly what the mappers make of the repository's NFTs and
    versions."""

    async def nft(self, nft_id: UUID) -> dict[str, Any] | None:
        """The NFT, hidden or not; None when there is none."""
        ...

    async def owned_by(self, owner_id: UUID, *, limit: int, offset: int) -> list[dict[str, Any]]:
        """As `NftRepository.list_by_owner`: not hidden, newest first."""
        ...

    async def versions(
        self, nft_id: UUID, *, limit: int, offset: int
    ) -> list[dict[str, Any]] | None:
        """As `NftRepository.versions`, newest first; None when there is no such NFT."""
        ...


class NftRepository(Protocol):
    """The nft database: NFTs with their metadata versions, and its transactions."""

    def atomic(self) -> AbstractAsyncContextManager[object]:
        """One transaction: the writes inside commit together or not at all (nested in an
        enclosing one, it rolls back alone)."""
        ...

    def local_chain(self) -> Chain:
        """The default chain: a ledger kept in this same database, so it joins `atomic`."""
        ...

    def local_outbox(self) -> Outbox:
        """The outbox table in this same database, so queued messages join `atomic`."""
        ...

    def views(self) -> NftViews:
        """The read models of this same database."""
        ...

    async def add(self, nft: Nft) -> None: ...

    async def add_minted(self, nft: Nft, first_version: MetadataVersion) -> None:
        """A new NFT with its first metadata version (as `add` then `add_version`)."""
        ...

    async def get(self, nft_id: UUID) -> Nft | None: ...

    async def list_by_owner(self, owner_id: UUID, *, limit: int, offset: int) -> Sequence[Nft]:
        """The owner's NFTs that are not hidden, newest first."""
        ...

    async def change_owner(
        self,
        nft_id: UUID,
        *,
        expected_owner: UUID,
        new_owner: UUID,
        at: datetime,
        approved_listing: UUID | None = None,
    ) -> bool:
        """Move ownership only if `expected_owner` still owns it (and, with `approved_listing`,
        has it approved for sale through that listing and not hidden); False when not. Any
        move ends the sale approval."""
        ...

    async def approve_sale(
        self, nft_id: UUID, *, listing_id: UUID, approved_by: UUID, at: datetime
    ) -> bool:
        """Store the approval (replacing any) only if `approved_by` still owns the NFT and it is
        not hidden; False when not."""
        ...

    async def withdraw_sale_approval(
        self, nft_id: UUID, *, approved_by: UUID, listing_id: UUID | None, at: datetime
    ) -> bool:
        """Remove the approval `approved_by` gave (only for `listing_id`, when given); False
        when there was no such approval."""
        ...

    async def record_transaction(self, nft_id: UUID, tx_hash: str) -> None:
        """Remember `tx_hash` as the NFT's latest chain transaction."""
        ...

    async def update_details(
        self, nft: Nft, *, expected_owner: UUID, expected_version: int
    ) -> bool:
        """Store name, description, metadata and version only if `expected_owner` still owns
        it and nobody changed it since `expected_version`."""
        ...

    async def add_version(self, version: MetadataVersion) -> None: ...

    async def versions(self, nft_id: UUID, *, limit: int, offset: int) -> Sequence[MetadataVersion]:
        """The NFT's metadata versions, newest first."""
        ...

    async def set_moderation(self, nft: Nft) -> bool:
        """Store hidden and its reason; False when the NFT does not exist."""
        ...
