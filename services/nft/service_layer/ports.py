"""What the use cases need from the outside world."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from services.nft.domain.model import Nft


class NftRepository(Protocol):
    async def add(self, nft: Nft) -> None: ...

    async def get(self, nft_id: UUID) -> Nft | None: ...

    async def list_by_owner(self, owner_id: UUID, *, limit: int, offset: int) -> Sequence[Nft]:
        """The owner's NFTs that are not hidden, newest first."""
        ...

    async def change_owner(
        self, nft_id: UUID, *, expected_owner: UUID, new_owner: UUID, at: datetime
    ) -> bool:
        """Move ownership only if `expected_owner` still owns it; False when it did not."""
        ...

    async def update_details(self, nft: Nft, *, expected_owner: UUID) -> bool:
        """Store name, description and metadata only if `expected_owner` still owns it."""
        ...

    async def set_moderation(self, nft: Nft) -> bool:
        """Store hidden and its reason; False when the NFT does not exist."""
        ...
