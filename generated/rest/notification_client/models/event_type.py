from enum import StrEnum


class EventType(StrEnum):
    NFT_MINTED = "nft.minted"
    NFT_TRANSFERRED = "nft.transferred"
    PRICE_ALERT = "price.alert"
    SALE_COMPLETED = "sale.completed"

    def __str__(self) -> str:
        return str(self.value)
