"""Contains all the data models used in inputs/outputs"""

from .deposit_input import DepositInput
from .listing import Listing
from .listing_currency import ListingCurrency
from .listing_input import ListingInput
from .listing_status import ListingStatus
from .market_data_tick import MarketDataTick
from .market_data_tick_batch_accepted import MarketDataTickBatchAccepted
from .market_data_tick_batch_input import MarketDataTickBatchInput
from .market_data_tick_input import MarketDataTickInput
from .problem import Problem
from .purchase import Purchase
from .purchase_currency import PurchaseCurrency
from .purchase_status import PurchaseStatus
from .sale import Sale
from .sale_currency import SaleCurrency
from .wallet import Wallet
from .wallet_currency import WalletCurrency

__all__ = (
    "DepositInput",
    "Listing",
    "ListingCurrency",
    "ListingInput",
    "ListingStatus",
    "MarketDataTick",
    "MarketDataTickBatchAccepted",
    "MarketDataTickBatchInput",
    "MarketDataTickInput",
    "Problem",
    "Purchase",
    "PurchaseCurrency",
    "PurchaseStatus",
    "Sale",
    "SaleCurrency",
    "Wallet",
    "WalletCurrency",
)
