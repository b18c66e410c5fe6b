"""Contains all the data models used in inputs/outputs"""

from .attribute import Attribute
from .ledger_verification import LedgerVerification
from .marketplace_transfer_input import MarketplaceTransferInput
from .metadata_version import MetadataVersion
from .mint_nft_request import MintNftRequest
from .moderation_request import ModerationRequest
from .nft import Nft
from .nft_metadata import NftMetadata
from .ownership_transfer import OwnershipTransfer
from .ownership_transfer_kind import OwnershipTransferKind
from .problem import Problem
from .sale_approval_input import SaleApprovalInput
from .transfer_nft_request import TransferNftRequest
from .update_nft_request import UpdateNftRequest

__all__ = (
    "Attribute",
    "LedgerVerification",
    "MarketplaceTransferInput",
    "MetadataVersion",
    "MintNftRequest",
    "ModerationRequest",
    "Nft",
    "NftMetadata",
    "OwnershipTransfer",
    "OwnershipTransferKind",
    "Problem",
    "SaleApprovalInput",
    "TransferNftRequest",
    "UpdateNftRequest",
)
