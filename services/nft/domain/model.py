"""NFTs and the rules of owning them. Pure Python: no framework, no database."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from services.nft.domain.errors import (
    HiddenNotForSale,
    NotApprovedForSale,
    NotNftOwner,
    SellerNoLongerOwns,
    TransferToCurrentOwner,
)


@dataclass(frozen=True)
class Attribute:
    trait_type: str
    value: str


@dataclass(frozen=True)
class NftMetadata:
    image: str | None = None
    attributes: tuple[Attribute, ...] = ()
    creator: str | None = None


@dataclass(frozen=True)
class MetadataVersion:
    """The descriptive fields of an NFT as one change left them."""

    nft_id: UUID
    version: int
    name: str
    description: str
    metadata: NftMetadata
    changed_by: UUID
    changed_at: datetime


@dataclass(frozen=True)
class SaleApproval:
    """The owner's permission for the marketplace to sell the NFT through one listing."""

    listing_id: UUID
    approved_by: UUID  # the owner who gave it: a permission never outlives their ownership


@dataclass(frozen=True)
class Nft:
    id: UUID
    name: str
    description: str
    owner_id: UUID
    creator_id: UUID
    created_at: datetime
    updated_at: datetime
    token_id: int  # on the chain, assigned by its mint transaction
    mint_tx_hash: str
    last_tx_hash: str  # its mint's, or its latest transfer's
    metadata: NftMetadata = field(default_factory=NftMetadata)
    hidden: bool = False
    hidden_reason: str | None = None
    version: int = 1  # of the descriptive fields; each change adds one
    sale_approval: SaleApproval | None = None

    @property
    def sale_listing_id(self) -> UUID | None:
        """The listing the current owner approved the sale through, if any."""
        approval = self.sale_approval
        # Transfers clear the approval; checking who gave it also guards against any path
        # that moved the NFT without doing so.
        if approval is None or approval.approved_by != self.owner_id:
            return None
        return approval.listing_id

    def details_version(self, *, by: UUID) -> MetadataVersion:
        """The current descriptive fields as the version `by` made at `updated_at`."""
        return MetadataVersion(
            nft_id=self.id,
            version=self.version,
            name=self.name,
            description=self.description,
            metadata=self.metadata,
            changed_by=by,
            changed_at=self.updated_at,
        )

    def updated(
        self,
        *,
        by: UUID,
        at: datetime,
        name: str | None = None,
        description: str | None = None,
        metadata: NftMetadata | None = None,
    ) -> Nft:
        """This NFT with new descriptive fields; only its owner may change them."""
        if by != self.owner_id:
            raise NotNftOwner(self.id)
        return replace(
            self,
            name=self.name if name is None else name,
            description=self.description if description is None else description,
            metadata=self.metadata if metadata is None else metadata,
            updated_at=at,
            version=self.version + 1,
        )

    def moderated(self, *, hidden: bool, reason: str | None, at: datetime) -> Nft:
        """Hidden from public listings (or shown again); whose it is does not change."""
        return replace(self, hidden=hidden, hidden_reason=reason if hidden else None, updated_at=at)

    def transferred(self, *, by: UUID, to: UUID, at: datetime) -> Nft:
        """This NFT owned by `to`; only its owner may give it away, and not to themselves.
        Any transfer ends a sale approval: the new owner has given none."""
        if by != self.owner_id:
            raise NotNftOwner(self.id)
        if to == self.owner_id:
            raise TransferToCurrentOwner(self.id)
        return replace(self, owner_id=to, updated_at=at, sale_approval=None)

    def approved_for_sale(self, *, by: UUID, listing_id: UUID, at: datetime) -> Nft:
        """This NFT for sale through `listing_id` (replacing any earlier approval); only its
        owner may approve, and a hidden NFT is not sold."""
        if by != self.owner_id:
            raise NotNftOwner(self.id)
        if self.hidden:
            raise HiddenNotForSale(self.id)
        return replace(self, sale_approval=SaleApproval(listing_id, by), updated_at=at)

    def sale_withdrawn(self, *, by: UUID, listing_id: UUID | None, at: datetime) -> Nft:
        """This NFT without its sale approval (only the one for `listing_id`, when given); only
        its owner may withdraw. Nothing to withdraw leaves it as it is."""
        if by != self.owner_id:
            raise NotNftOwner(self.id)
        if self.sale_listing_id is None or listing_id not in (None, self.sale_listing_id):
            return self
        return replace(self, sale_approval=None, updated_at=at)

    def sold(self, *, listing_id: UUID, seller: UUID, buyer: UUID, at: datetime) -> Nft:
        """This NFT owned by `buyer`: the marketplace may move it only while `seller` owns it
        and has approved its sale through exactly `listing_id`."""
        if self.owner_id != seller:
            raise SellerNoLongerOwns(self.id)
        if self.sale_listing_id != listing_id:
            raise NotApprovedForSale(self.id, listing_id)
        if self.hidden:
            raise HiddenNotForSale(self.id)
        return self.transferred(by=seller, to=buyer, at=at)

    def recorded(self, tx_hash: str) -> Nft:
        """This NFT with `tx_hash` as its latest chain transaction."""
        return replace(self, last_tx_hash=tx_hash)
