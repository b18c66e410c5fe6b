"""What can go wrong with NFTs, in domain words; entrypoints map these to protocol errors."""

from uuid import UUID


class NftError(Exception):
    """Base of the nft service's domain errors."""


class NftNotFound(NftError):
    def __init__(self, nft_id: UUID) -> None:
        super().__init__(f"NFT {nft_id} does not exist")


class NotNftOwner(NftError):
    def __init__(self, nft_id: UUID) -> None:
        super().__init__(f"only the owner of NFT {nft_id} may do this")


class TransferToCurrentOwner(NftError):
    def __init__(self, nft_id: UUID) -> None:
        super().__init__(f"NFT {nft_id} already belongs to that user")


class ConcurrentOwnershipChange(NftError):
    def __init__(self, nft_id: UUID) -> None:
        super().__init__(f"NFT {nft_id} changed owner meanwhile; read it again")


class ConcurrentEdit(NftError):
    def __init__(self, nft_id: UUID) -> None:
        super().__init__(f"NFT {nft_id} was changed meanwhile; read it again")


class ChainRefused(NftError):
    """The chain would not record the transaction: it disagrees about who owns the token."""

    def __init__(self, token_id: int) -> None:
        super().__init__(f"the chain refuses to move token {token_id}: the sender does not own it")


class UnknownReceiver(NftError):
    title = "Unknown receiver"

    def __init__(self, user_id: UUID) -> None:
        super().__init__(f"unknown receiver: toUserId {user_id} is not a user")


class UserServiceUnavailable(NftError):
    """The user service could not say whether a user exists: no answer, or not one it may give."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"the user service cannot confirm the receiver ({reason}); try again")


class HiddenNotForSale(NftError):
    def __init__(self, nft_id: UUID) -> None:
        super().__init__(f"NFT {nft_id} is hidden by moderation and cannot be sold")


class NotApprovedForSale(NftError):
    def __init__(self, nft_id: UUID, listing_id: UUID) -> None:
        super().__init__(f"NFT {nft_id} is not approved for sale through listing {listing_id}")


class SellerNoLongerOwns(NftError):
    def __init__(self, nft_id: UUID) -> None:
        super().__init__(f"NFT {nft_id} cannot be sold: the seller no longer owns it")


class SaleChangedMeanwhile(NftError):
    def __init__(self, nft_id: UUID) -> None:
        super().__init__(
            f"NFT {nft_id} changed owner or sale approval meanwhile; the sale did not happen"
        )
