"""In-memory stand-ins for the nft service's ports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from uuid import UUID

from services.nft.domain.model import Nft


class InMemoryNftRepository:
    def __init__(self) -> None:
        self.nfts: dict[UUID, Nft] = {}
        # Simulates another writer taking ownership between our read and our write.
        self.steal_on_next_change: UUID | None = None

    async def add(self, nft: Nft) -> None:
        self.nfts[nft.id] = nft

    async def get(self, nft_id: UUID) -> Nft | None:
        return self.nfts.get(nft_id)

    async def list_by_owner(self, owner_id: UUID, *, limit: int, offset: int) -> Sequence[Nft]:
        owned = [n for n in self.nfts.values() if n.owner_id == owner_id and not n.hidden]
        owned.sort(key=lambda n: (-n.created_at.timestamp(), str(n.id)))
        return owned[offset : offset + limit]

    async def change_owner(
        self, nft_id: UUID, *, expected_owner: UUID, new_owner: UUID, at: datetime
    ) -> bool:
        if self.steal_on_next_change is not None:
            thief, self.steal_on_next_change = self.steal_on_next_change, None
            self.nfts[nft_id] = replace(self.nfts[nft_id], owner_id=thief)
        nft = self.nfts.get(nft_id)
        if nft is None or nft.owner_id != expected_owner:
            return False
        self.nfts[nft_id] = replace(nft, owner_id=new_owner, updated_at=at)
        return True

    async def update_details(self, nft: Nft, *, expected_owner: UUID) -> bool:
        stored = self.nfts.get(nft.id)
        if stored is None or stored.owner_id != expected_owner:
            return False
        self.nfts[nft.id] = nft
        return True

    async def set_moderation(self, nft: Nft) -> bool:
        if nft.id not in self.nfts:
            return False
        self.nfts[nft.id] = nft
        return True
