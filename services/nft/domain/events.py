"""The events nft publishes when a token is minted or changes hands. Pure Python.

An event is named by its ledger transaction: its id is a UUID5 of the transaction hash, so
every delivery of it (a relay retry, a redelivery after a crash) carries the same id and
notification keeps one notification per recipient."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid5

from services.nft.domain.ledger import ChainTransaction, TxKind
from services.nft.domain.model import Nft

# Fixed forever: changing it would renumber every event and notify everyone again.
EVENT_NAMESPACE = UUID("6f1c2a9e-4b7d-5e3a-9c8f-2d1e0b7a6c54")


class NftEventType(StrEnum):
    MINTED = "nft.minted"
    TRANSFERRED = "nft.transferred"


@dataclass(frozen=True)
class NftEvent:
    event_id: UUID
    type: NftEventType
    occurred_at: datetime  # the ledger transaction's timestamp
    nft_id: UUID
    nft_name: str
    from_user_id: UUID | None  # None for a mint
    to_user_id: UUID

    @property
    def recipients(self) -> tuple[UUID, ...]:
        """Who is told: the minter, or both sides of a transfer (sender first)."""
        if self.from_user_id is None:
            return (self.to_user_id,)
        return (self.from_user_id, self.to_user_id)


def event_id_of(tx_hash: str) -> UUID:
    return uuid5(EVENT_NAMESPACE, tx_hash)


def event_of(nft: Nft, tx: ChainTransaction) -> NftEvent:
    """The event the ledger transaction `tx` of `nft` announces."""
    minted = tx.kind is TxKind.MINT
    return NftEvent(
        event_id=event_id_of(tx.tx_hash),
        type=NftEventType.MINTED if minted else NftEventType.TRANSFERRED,
        occurred_at=tx.timestamp,
        nft_id=nft.id,
        nft_name=nft.name,
        from_user_id=tx.from_id,
        to_user_id=tx.to_id,
    )
