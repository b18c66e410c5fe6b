"""Contains all the data models used in inputs/outputs"""

from .attribute import Attribute
from .ledger_verification import LedgerVerification
from .metadata_version import MetadataVersion
from .mint_nft_request import MintNftRequest
from .moderation_request import ModerationRequest
from .nft import Nft
from .nft_metadata import NftMetadata
from .ownership_transfer import OwnershipTransfer
from .ownership_transfer_kind import OwnershipTransferKind
from .problem import Problem
from .transfer_nft_request import TransferNftRequest
from .update_nft_request import UpdateNftRequest

__all__ = (
    "Attribute",
    "LedgerVerification",
    "MetadataVersion",
    "MintNftRequest",
    "ModerationRequest",
    "Nft",
    "NftMetadata",
    "OwnershipTransfer",
    "OwnershipTransferKind",
    "Problem",
    "TransferNftRequest",
    "UpdateNftRequest",
)
