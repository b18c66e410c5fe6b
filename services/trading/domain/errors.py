"""What can go wrong in trading, in domain words; entrypoints map these to protocol errors."""

from __future__ import annotations

from uuid import UUID


class TradingError(Exception):
    """Base of the trading service's domain errors."""


class InvalidTick(TradingError):
    def __init__(self, problems: tuple[str, ...]) -> None:
        self.problems = problems
        super().__init__("invalid market data tick: " + "; ".join(problems))


class InvalidAmount(TradingError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field} {reason}")


class ListingNotFound(TradingError):
    def __init__(self, listing_id: UUID) -> None:
        super().__init__(f"listing {listing_id} does not exist")


class PurchaseNotFound(TradingError):
    def __init__(self, purchase_id: UUID) -> None:
        super().__init__(f"purchase {purchase_id} does not exist")


class NotTheSeller(TradingError):
    def __init__(self, listing_id: UUID) -> None:
        super().__init__(f"only the seller of listing {listing_id} may do this")


class NotAParty(TradingError):
    def __init__(self, purchase_id: UUID) -> None:
        super().__init__(f"only the buyer and the seller may see purchase {purchase_id}")


class NftAlreadyListed(TradingError):
    def __init__(self, nft_id: UUID) -> None:
        super().__init__(f"NFT {nft_id} already has an active listing")


class ListingNotActive(TradingError):
    def __init__(self, listing_id: UUID, status: str) -> None:
        super().__init__(f"listing {listing_id} is {status}, not active")


class OwnListing(TradingError):
    def __init__(self, listing_id: UUID) -> None:
        super().__init__(f"listing {listing_id} is your own: a seller cannot buy it")


class InsufficientFunds(TradingError):
    def __init__(self, needed: str, available: str) -> None:
        super().__init__(f"the wallet has {available} USD available; {needed} USD is needed")


class WalletLimitExceeded(TradingError):
    def __init__(self) -> None:
        super().__init__("the wallet cannot hold that much")


class PaymentDeclined(TradingError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"the payment provider declined the deposit: {reason}")


class PurchaseFailed(TradingError):
    """The saga compensated: the nft service refused the transfer, the money went back."""

    def __init__(self, purchase_id: UUID, reason: str) -> None:
        self.reason = reason
        super().__init__(f"purchase {purchase_id} failed: {reason}")


class NftRefused(TradingError):
    """The nft service refused a sale approval or its withdrawal (its problem's detail)."""

    status = 409

    def __init__(self, detail: str) -> None:
        super().__init__(detail)


class NftForbidden(NftRefused):
    status = 403


class NftNotFound(NftRefused):
    status = 404


class NftConflict(NftRefused):
    status = 409


class NftServiceUnavailable(TradingError):
    """No answer from the nft service that could be trusted; nothing changed here."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"the nft service is unavailable ({reason}); try again")
